using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Outbox;
using static AlertPipeline.Core.Tests.Respond.RespondTestKit;

namespace AlertPipeline.Core.Tests.Respond.Outbox;

public sealed class NotificationDispatcherTests
{
    private readonly InMemoryAlertStore _store = new();
    private readonly InMemoryNotificationPoisonStore _poison = new();
    private readonly RecordingOutbox _outbox = new();
    private readonly ResponderOptions _options = new() { MaxAttempts = 4, RetryBaseDelay = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Alert_is_committed_with_pending_actions_before_anything_is_queued_or_sent()
    {
        var email = new RecordingChannel("email");
        var responder = new AlertResponder(_store, _outbox, ResponsePolicy.Default, _options);

        var alert = Assert.Single(await responder.RespondAsync([Candidate(Rule(AlertLevel.High), "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None));

        var stored = await _store.GetAsync(alert.AlertId, CancellationToken.None);
        Assert.Equal(["email", "teams"], stored!.Actions.Select(a => a.Channel));
        Assert.All(stored.Actions, a => Assert.Equal(ActionStatus.Pending, a.Status));
        Assert.Equal(["email", "teams"], _outbox.Queued.Select(q => q.Message.Channel));
        Assert.Empty(email.Sent);
    }

    [Fact]
    public async Task Retry_waits_at_least_the_retry_after_then_backs_off_exponentially_and_delivers_once()
    {
        var answers = new Queue<ChannelResult>(
        [
            ChannelResult.Failed("HTTP 429") with { RetryAfter = TimeSpan.FromSeconds(90) },
            ChannelResult.Failed("HTTP 500"),
            ChannelResult.Failed("timeout"),
            ChannelResult.Sent("HTTP 202"),
        ]);
        var email = new RecordingChannel("email", _ => answers.Dequeue());
        var (dispatcher, message) = await QueuedAsync(email);

        var outcomes = new List<DispatchOutcome>();
        for (var i = 0; i < 4; i++)
        {
            outcomes.Add(await dispatcher.DispatchAsync(message with { Delivery = i + 1 }, CancellationToken.None));
        }

        Assert.Equal([DispatchKind.Retry, DispatchKind.Retry, DispatchKind.Retry, DispatchKind.Done], outcomes.Select(o => o.Kind));
        Assert.Equal(TimeSpan.FromSeconds(90), outcomes[0].Delay);
        Assert.Equal(TimeSpan.FromSeconds(60), outcomes[1].Delay);
        Assert.Equal(TimeSpan.FromSeconds(120), outcomes[2].Delay);
        var record = (await _store.GetAsync(message.AlertId, CancellationToken.None))!.ActionFor("email")!;
        Assert.Equal(ActionStatus.Sent, record.Status);
        Assert.Equal(4, record.Attempts);
        Assert.Null(record.SendingUntil);
        Assert.Equal(4, email.Sent.Count);
    }

    [Fact]
    public async Task A_redelivered_message_after_success_sends_nothing()
    {
        var email = new RecordingChannel("email");
        var (dispatcher, message) = await QueuedAsync(email);

        var first = await dispatcher.DispatchAsync(message, CancellationToken.None);
        var again = await dispatcher.DispatchAsync(message, CancellationToken.None);

        Assert.Equal(DispatchKind.Done, first.Kind);
        Assert.Equal(DispatchKind.Done, again.Kind);
        Assert.Single(email.Sent);
        Assert.Equal(1, (await _store.GetAsync(message.AlertId, CancellationToken.None))!.ActionFor("email")!.Attempts);
    }

    [Fact]
    public async Task A_message_whose_send_is_claimed_elsewhere_is_deferred_not_sent()
    {
        var email = new RecordingChannel("email");
        var (dispatcher, message) = await QueuedAsync(email);
        var alert = (await _store.GetAsync(message.AlertId, CancellationToken.None))!;
        alert.ActionFor("email")!.SendingUntil = DateTimeOffset.UtcNow.AddMinutes(2);
        Assert.True(await _store.TryUpdateAsync(alert, CancellationToken.None));

        var outcome = await dispatcher.DispatchAsync(message, CancellationToken.None);

        Assert.Equal(DispatchKind.Deferred, outcome.Kind);
        Assert.InRange(outcome.Delay, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2));
        Assert.Empty(email.Sent);
    }

    [Fact]
    public async Task A_permanent_failure_gives_up_at_once_and_is_visible_on_the_alert_and_in_the_poison_store()
    {
        var email = new RecordingChannel("email", _ => ChannelResult.Failed("HTTP 400 (not retryable): bad sender") with { Permanent = true });
        var (dispatcher, message) = await QueuedAsync(email);

        var outcome = await dispatcher.DispatchAsync(message, CancellationToken.None);
        var redelivered = await dispatcher.DispatchAsync(message, CancellationToken.None);

        Assert.Equal(DispatchKind.Poisoned, outcome.Kind);
        Assert.Equal(DispatchKind.Done, redelivered.Kind);
        var record = (await _store.GetAsync(message.AlertId, CancellationToken.None))!.ActionFor("email")!;
        Assert.Equal(ActionStatus.Failed, record.Status);
        Assert.True(record.GaveUp);
        Assert.Equal(1, record.Attempts);
        var poisoned = Assert.Single(await _poison.ListAsync(message.AlertId, CancellationToken.None));
        Assert.Equal("email", poisoned.Message.Channel);
        Assert.Contains("bad sender", poisoned.Reason, StringComparison.Ordinal);
        Assert.Single(email.Sent);
    }

    [Fact]
    public async Task The_last_retryable_failure_is_poisoned()
    {
        var email = new RecordingChannel("email", _ => ChannelResult.Failed("HTTP 503"));
        var (dispatcher, message) = await QueuedAsync(email);

        var kinds = new List<DispatchKind>();
        for (var i = 0; i < _options.MaxAttempts; i++)
        {
            kinds.Add((await dispatcher.DispatchAsync(message, CancellationToken.None)).Kind);
        }

        Assert.Equal([DispatchKind.Retry, DispatchKind.Retry, DispatchKind.Retry, DispatchKind.Poisoned], kinds);
        Assert.Single(await _poison.ListAsync(message.AlertId, CancellationToken.None));
        Assert.Equal(DispatchKind.Done, (await dispatcher.DispatchAsync(message, CancellationToken.None)).Kind);
        Assert.Equal(_options.MaxAttempts, email.Sent.Count);
    }

    [Fact]
    public async Task Dry_run_rule_queues_nothing()
    {
        var responder = new AlertResponder(_store, _outbox, ResponsePolicy.Default, _options);

        var alert = Assert.Single(await responder.RespondAsync([Candidate(Rule(AlertLevel.Critical, RuleMode.DryRun), "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None));

        Assert.Empty(_outbox.Queued);
        Assert.All(alert.Actions, a => Assert.Equal(ActionStatus.DryRun, a.Status));
    }

    [Fact]
    public void Retry_delay_is_capped()
    {
        var dispatcher = new NotificationDispatcher(_store, [], _poison, new ResponderOptions { RetryBaseDelay = TimeSpan.FromMinutes(1), MaxRetryDelay = TimeSpan.FromMinutes(10) });

        Assert.Equal(TimeSpan.FromMinutes(10), dispatcher.RetryDelay(30, null));
        Assert.Equal(TimeSpan.FromMinutes(10), dispatcher.RetryDelay(1, TimeSpan.FromDays(3)));
        Assert.Equal(TimeSpan.FromMinutes(4), dispatcher.RetryDelay(3, TimeSpan.FromSeconds(5)));
    }

    private async Task<(NotificationDispatcher Dispatcher, NotificationMessage Message)> QueuedAsync(INotificationChannel email)
    {
        var responder = new AlertResponder(_store, _outbox, new ResponsePolicy(new Dictionary<AlertLevel, IReadOnlyList<string>> { [AlertLevel.High] = ["email"] }), _options);
        await responder.RespondAsync([Candidate(Rule(AlertLevel.High), "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None);
        return (new NotificationDispatcher(_store, [email], _poison, _options), Assert.Single(_outbox.Queued).Message);
    }

    private sealed class RecordingOutbox : INotificationOutbox
    {
        public List<(NotificationMessage Message, TimeSpan Delay)> Queued { get; } = [];

        public Task EnqueueAsync(NotificationMessage message, TimeSpan delay, CancellationToken cancellationToken)
        {
            Queued.Add((message, delay));
            return Task.CompletedTask;
        }
    }
}
