using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Channels;
using static AlertPipeline.Core.Tests.Respond.RespondTestKit;

namespace AlertPipeline.Core.Tests.Respond;

public sealed class AlertResponderTests
{
    private readonly InMemoryAlertStore _store = new();
    private readonly RecordingChannel _email = new("email");
    private readonly RecordingChannel _teams = new("teams");
    private readonly RecordingChannel _shutdown = new("shutdown");

    private AlertResponder Responder(ResponderOptions? options = null, params INotificationChannel[] extra)
        => new(_store, [_email, _teams, _shutdown, .. extra], ResponsePolicy.Default, options);

    [Fact]
    public async Task Critical_alert_is_stored_then_sent_on_every_policy_channel()
    {
        var candidate = Candidate(Rule(AlertLevel.Critical), "rl-env-7731", ("hub/0", 10, 0, 0), ("hub/0", 11, 0, 5));

        var alerts = await Responder().RespondAsync([candidate], CancellationToken.None);

        var stored = await _store.GetAsync(candidate.AlertId, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(2, stored.EventCount);
        Assert.Equal(T0, stored.FirstSeen);
        Assert.Equal(T0.AddSeconds(5), stored.LastSeen);
        Assert.Equal(["email", "teams", "shutdown"], stored.Actions.Select(a => a.Channel));
        Assert.All(stored.Actions, a => Assert.Equal(ActionStatus.Sent, a.Status));
        Assert.All(stored.Actions, a => Assert.Equal(1, a.Attempts));
        Assert.Single(_email.Sent);
        Assert.Single(_shutdown.Sent);
        Assert.Equal(stored.AlertId, Assert.Single(alerts).AlertId);
    }

    [Fact]
    public async Task Redelivered_batch_neither_recounts_nor_resends()
    {
        var responder = Responder();
        var rule = Rule(AlertLevel.High);
        await responder.RespondAsync([Candidate(rule, "sbx", ("hub/0", 10, 0, 0), ("hub/0", 10, 1, 1))], CancellationToken.None);
        await responder.RespondAsync([Candidate(rule, "sbx", ("hub/0", 10, 0, 0), ("hub/0", 10, 1, 1))], CancellationToken.None);

        var stored = (await _store.ListAsync(10, CancellationToken.None)).Single();
        Assert.Equal(2, stored.EventCount);
        Assert.Single(_email.Sent);
        Assert.Single(_teams.Sent);
        Assert.Empty(_shutdown.Sent); // high: no shutdown in the default policy
    }

    [Fact]
    public async Task New_events_update_the_same_alert_without_resending()
    {
        var responder = Responder();
        var rule = Rule(AlertLevel.Medium);
        await responder.RespondAsync([Candidate(rule, "sbx", ("hub/0", 10, 0, 0))], CancellationToken.None);
        await responder.RespondAsync([Candidate(rule, "sbx", ("hub/0", 10, 0, 0), ("hub/0", 12, 0, 30), ("hub/1", 3, 0, 40))], CancellationToken.None);

        var stored = (await _store.ListAsync(10, CancellationToken.None)).Single();
        Assert.Equal(3, stored.EventCount);
        Assert.Equal(T0.AddSeconds(40), stored.LastSeen);
        Assert.Single(_teams.Sent);
        Assert.Empty(_email.Sent);
    }

    [Fact]
    public async Task Dry_run_rule_records_what_it_would_do_and_sends_nothing()
    {
        await Responder().RespondAsync([Candidate(Rule(AlertLevel.Critical, RuleMode.DryRun), "sbx", ("f", 1, 0, 0))], CancellationToken.None);

        var stored = (await _store.ListAsync(10, CancellationToken.None)).Single();
        Assert.All(stored.Actions, a => Assert.Equal(ActionStatus.DryRun, a.Status));
        Assert.Equal(3, stored.Actions.Count);
        Assert.Empty(_email.Sent);
        Assert.Empty(_shutdown.Sent);
    }

    [Fact]
    public async Task Failed_channel_is_retried_until_its_last_attempt_and_gives_up_visibly_without_resending_later()
    {
        var failingEmail = new RecordingChannel("email", _ => ChannelResult.Failed("SendGrid 503"));
        var responder = new AlertResponder(_store, [failingEmail, _teams], ResponsePolicy.Default, new ResponderOptions { MaxAttempts = 2 });
        var rule = Rule(AlertLevel.High);

        await responder.RespondAsync([Candidate(rule, "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None);
        var first = (await _store.ListAsync(10, CancellationToken.None)).Single();
        Assert.Equal(ActionStatus.Failed, first.ActionFor("email")!.Status);
        Assert.Equal(2, first.ActionFor("email")!.Attempts);
        Assert.True(first.ActionFor("email")!.GaveUp);
        Assert.Equal("SendGrid 503", first.ActionFor("email")!.Detail);
        Assert.Equal(ActionStatus.Sent, first.ActionFor("teams")!.Status);

        await responder.RespondAsync([Candidate(rule, "sbx", ("hub/0", 2, 0, 1))], CancellationToken.None);

        var last = (await _store.ListAsync(10, CancellationToken.None)).Single();
        Assert.Equal(2, last.ActionFor("email")!.Attempts);
        Assert.Equal(2, failingEmail.Sent.Count);
        Assert.Single(_teams.Sent);
        Assert.Equal(2, last.EventCount);
    }

    [Fact]
    public async Task Throwing_channel_fails_only_itself()
    {
        var broken = new ThrowingChannel();
        var responder = new AlertResponder(_store, [broken, _teams], ResponsePolicy.Default);

        await responder.RespondAsync([Candidate(Rule(AlertLevel.High), "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None);

        var stored = (await _store.ListAsync(10, CancellationToken.None)).Single();
        Assert.Equal(ActionStatus.Failed, stored.ActionFor("email")!.Status);
        Assert.Contains("HttpRequestException", stored.ActionFor("email")!.Detail);
        Assert.Equal(ActionStatus.Sent, stored.ActionFor("teams")!.Status);
    }

    [Fact]
    public async Task Unconfigured_channel_is_skipped_with_reason()
    {
        var responder = new AlertResponder(_store, [_teams], ResponsePolicy.Default);

        await responder.RespondAsync([Candidate(Rule(AlertLevel.High), "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None);

        var email = (await _store.ListAsync(10, CancellationToken.None)).Single().ActionFor("email")!;
        Assert.Equal(ActionStatus.Skipped, email.Status);
        Assert.Contains("not configured", email.Detail);
    }

    [Fact]
    public async Task Low_alert_is_recorded_only()
    {
        await Responder().RespondAsync([Candidate(Rule(AlertLevel.Low), "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None);

        var stored = (await _store.ListAsync(10, CancellationToken.None)).Single();
        Assert.Empty(stored.Actions);
        Assert.Empty(_teams.Sent);
    }

    [Fact]
    public async Task Concurrent_instances_converge_on_one_alert_and_one_send_per_channel()
    {
        var rule = Rule(AlertLevel.High);
        var a = Responder();
        var b = Responder();

        await Task.WhenAll(
            Task.Run(() => a.RespondAsync([Candidate(rule, "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None)),
            Task.Run(() => b.RespondAsync([Candidate(rule, "sbx", ("hub/1", 1, 0, 3))], CancellationToken.None)));

        var stored = (await _store.ListAsync(10, CancellationToken.None)).Single();
        Assert.Equal(2, stored.EventCount);
        Assert.Equal(2, stored.Cursors.Count);
        Assert.All(stored.Actions, action => Assert.Equal(ActionStatus.Sent, action.Status));
    }

    private sealed class ThrowingChannel : INotificationChannel
    {
        public string Name => "email";

        public Task<ChannelResult> SendAsync(Alert alert, CancellationToken cancellationToken)
            => throw new HttpRequestException("connection refused");
    }
}
