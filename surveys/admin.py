from django.contrib import admin

from surveys.models import Answer, Campaign, Case, Choice, ContactAttempt, FollowUp, Question, Response, Survey


def _draft(survey: Survey | None) -> bool:
    return survey is None or survey.status == Survey.Status.DRAFT


class DraftOnlyMixin:
    """A published survey is never edited in place (surveys/authoring.py makes a new version; customers'
    answers and the survey pages' caches rely on it), so the admin shows its content read-only too."""

    def survey_of(self, obj) -> Survey | None:
        raise NotImplementedError

    def has_change_permission(self, request, obj=None):
        return _draft(self.survey_of(obj)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _draft(self.survey_of(obj)) and super().has_delete_permission(request, obj)


class DraftOnlyInlineMixin(DraftOnlyMixin):
    def has_add_permission(self, request, obj=None):
        return _draft(self.survey_of(obj)) and super().has_add_permission(request, obj)


class QuestionInline(DraftOnlyInlineMixin, admin.StackedInline):
    model = Question
    extra = 0
    fields = (("code", "position", "kind", "concern", "required"), ("prompt_zh", "prompt_en"))
    show_change_link = True

    def survey_of(self, obj):
        return obj  # the inline's parent: the survey


@admin.register(Survey)
class SurveyAdmin(DraftOnlyMixin, admin.ModelAdmin):
    list_display = ("title_en", "title_zh", "key", "version", "status", "published_at")
    list_filter = ("status",)
    search_fields = ("key", "title_en", "title_zh")
    inlines = [QuestionInline]

    def survey_of(self, obj):
        return obj


class ChoiceInline(DraftOnlyInlineMixin, admin.TabularInline):
    model = Choice
    extra = 0

    def survey_of(self, obj):
        return obj.survey if obj is not None else None  # the inline's parent: the question


@admin.register(Question)
class QuestionAdmin(DraftOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "survey", "position", "kind", "concern", "required")
    list_filter = ("kind", "concern", "survey")
    search_fields = ("code", "prompt_en", "prompt_zh")
    inlines = [ChoiceInline]

    def survey_of(self, obj):
        return obj.survey if obj is not None else None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "survey":  # a new question goes into a draft only
            kwargs["queryset"] = Survey.objects.filter(status=Survey.Status.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "survey", "status", "trigger", "starts_at", "ends_at")
    list_filter = ("status", "trigger", "contact_policy")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class ContactAttemptInline(admin.TabularInline):
    model = ContactAttempt
    extra = 0
    fields = ("number", "channel", "agent", "started_at", "outcome", "callback_at", "notes")
    raw_id_fields = ("agent",)


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("customer", "campaign", "status", "channel", "scheduled_for", "attempts", "assigned_agent")
    list_filter = ("status", "channel", "campaign")
    search_fields = ("customer__bank_reference", "customer__name")
    date_hierarchy = "scheduled_for"
    raw_id_fields = ("customer", "wallet_event", "assigned_agent")
    readonly_fields = ("created_at", "updated_at")
    list_select_related = ("customer", "campaign", "assigned_agent")
    inlines = [ContactAttemptInline]
    show_full_result_count = False


@admin.register(ContactAttempt)
class ContactAttemptAdmin(admin.ModelAdmin):
    list_display = ("follow_up", "number", "channel", "outcome", "agent", "started_at")
    list_filter = ("outcome", "channel")
    search_fields = ("follow_up__customer__bank_reference", "follow_up__customer__name")
    date_hierarchy = "started_at"
    raw_id_fields = ("follow_up", "agent")
    show_full_result_count = False


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    fields = ("question", "number", "yes_no", "text", "choices")
    raw_id_fields = ("question",)


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("follow_up", "survey", "status", "mode", "language", "submitted_at")
    list_filter = ("status", "mode", "language", "survey")
    search_fields = ("follow_up__customer__bank_reference", "follow_up__customer__name")
    date_hierarchy = "submitted_at"
    raw_id_fields = ("follow_up", "taken_by")
    inlines = [AnswerInline]
    show_full_result_count = False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("summary", "category", "priority", "status", "owner", "sla_due_at")
    list_filter = ("status", "category", "priority")
    search_fields = ("summary", "customer__bank_reference", "customer__name")
    date_hierarchy = "opened_at"
    raw_id_fields = ("follow_up", "response", "customer", "owner")
