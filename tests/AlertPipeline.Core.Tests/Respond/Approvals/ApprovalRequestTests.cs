using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Outbox;
using static AlertPipeline.Core.Tests.Respond.RespondTestKit;

namespace AlertPipeline.Core.Tests.Respond.Approvals;

/// <summary>The approval follow-up through the outbox: a held command asks the humans once, after the first notifications.</summary>
public sealed class ApprovalRequestTests
{
    private readonly InMemoryAlertStore _store = new();

    [Fact]
    public async Task A_held_command_queues_one_approval_request_after_the_first_notifications()
    {
        var email = new RecordingChannel("email");
        var teams = new RecordingChannel("teams");
        var approval = new RecordingChannel(ApprovalRequest.Channel, alert =>
            alert.ActionFor("shutdown")?.Status == ActionStatus.AwaitingApproval ? ChannelResult.Sent("asked") : ChannelResult.Failed("rendered before the hold"));
        var shutdown = new RecordingChannel("shutdown", _ => ChannelResult.AwaitingApproval("guardrail: cap reached"));
        var dispatcher = new NotificationDispatcher(_store, [email, teams, approval, shutdown], new InMemoryNotificationPoisonStore());
        var outbox = new InlineNotificationOutbox(() => dispatcher);
        var responder = new AlertResponder(_store, outbox, ResponsePolicy.Default);

        var alert = Assert.Single(await responder.RespondAsync([Candidate(Rule(AlertLevel.Critical), "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None));

        Assert.Equal(["email", "teams", "shutdown", "approval"], outbox.Messages.Select(m => m.Channel));
        Assert.Single(approval.Sent);
        var stored = (await _store.GetAsync(alert.AlertId, CancellationToken.None))!;
        Assert.Equal(ActionStatus.AwaitingApproval, stored.ActionFor("shutdown")!.Status);
        Assert.Equal((ActionStatus.Sent, 1), (stored.ActionFor("approval")!.Status, stored.ActionFor("approval")!.Attempts));
        Assert.Equal(alert.AlertId + ":approval", stored.ActionFor("approval")!.IdempotencyKey(alert.AlertId));

        // Redelivered shutdown and approval messages send nothing more.
        var again = await dispatcher.DispatchAsync(new NotificationMessage(alert.AlertId, "shutdown", 2), CancellationToken.None);
        await outbox.EnqueueAsync(new NotificationMessage(alert.AlertId, "approval", 2), TimeSpan.Zero, CancellationToken.None);
        Assert.Null(again.FollowUp);
        Assert.Single(approval.Sent);
        Assert.Single(shutdown.Sent);
    }

    [Fact]
    public async Task A_command_that_was_sent_asks_for_nothing()
    {
        var approval = new RecordingChannel(ApprovalRequest.Channel);
        var dispatcher = new NotificationDispatcher(_store, [new RecordingChannel("email"), new RecordingChannel("teams"), approval, new RecordingChannel("shutdown")], new InMemoryNotificationPoisonStore());
        var responder = new AlertResponder(_store, new InlineNotificationOutbox(() => dispatcher), ResponsePolicy.Default);

        var alert = Assert.Single(await responder.RespondAsync([Candidate(Rule(AlertLevel.Critical), "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None));

        Assert.Empty(approval.Sent);
        Assert.Null(alert.ActionFor(ApprovalRequest.Channel));
    }
}
