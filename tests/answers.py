"""Responses built through the real answering path, for tests of what the dashboards and retention see."""

from datetime import timedelta

from surveys import answering
from surveys.models import FollowUp, Response
from tests import factories


def respond(campaign, answers, *, at, customer=None, mode=Response.Mode.WEB, submit=True, **follow_up_fields):
    """A customer of ``campaign`` answers (question code → value), in survey order, and submits at ``at``;
    the response. ``follow_up_fields`` go to the follow-up (``wallet_event``, ``expires_at``)."""
    follow_up = factories.FollowUpFactory(
        campaign=campaign,
        customer=customer or factories.CustomerFactory(),
        channel="sms" if mode == Response.Mode.WEB else "phone",
        status=FollowUp.Status.INVITED,
        **follow_up_fields,
    )
    questions = answering.survey_questions(campaign.survey)
    for code, value in sorted(answers.items(), key=lambda item: questions.by_code[item[0]].position):
        answering.save_answer(
            follow_up=follow_up,
            questions=questions,
            question=questions.by_code[code],
            value=value,
            language="en",
            now=at - timedelta(minutes=2),
            mode=mode,
        )
    if submit:
        outcome = answering.submit_response(follow_up=follow_up, questions=questions, language="en", now=at, mode=mode)
        assert outcome.status == answering.SubmitStatus.SUBMITTED, outcome
    return Response.objects.filter(follow_up=follow_up).first()
