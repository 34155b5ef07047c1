from django.contrib import admin

from surveys.models import Answer, Campaign, Case, Choice, ContactAttempt, FollowUp, Question, Response, Survey


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = (("code", "position", "kind", "concern", "required"), ("prompt_zh", "prompt_en"))
    show_change_link = True


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("title_en", "title_zh", "key", "version", "status", "published_at")
    list_filter = ("status",)
    search_fields = ("key", "title_en", "title_zh")
    inlines = [QuestionInline]


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("code", "survey", "position", "kind", "concern", "required")
    list_filter = ("kind", "concern", "survey")
    search_fields = ("code", "prompt_en", "prompt_zh")
    inlines = [ChoiceInline]


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
