using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Escalation;
using AlertPipeline.Core.Respond.Outbox;
using Microsoft.Extensions.Time.Testing;
using static AlertPipeline.Core.Tests.Respond.RespondTestKit;

namespace AlertPipeline.Core.Tests.Respond.Escalation;

/// <summary>Quiet escalation on a fake clock: when it re-notifies, how often, how many times, and when never.</summary>
public sealed class AlertEscalatorTests
{
    private readonly FakeTimeProvider _time = new(T0);
    private readonly InMemoryAlertStore _store = new();
    private readonly RecordingChannel _escalation = new(AlertEscalator.Channel);
    private readonly InlineNotificationOutbox _outbox;
    private readonly AlertEscalator _escalator;

    public AlertEscalatorTests()
    {
        var dispatcher = new NotificationDispatcher(_store, [_escalation, new RecordingChannel("email"), new RecordingChannel("teams")],
            new InMemoryNotificationPoisonStore(), time: _time);
        _outbox = new InlineNotificationOutbox(() => dispatcher);
        _escalator = new AlertEscalator(_store, _outbox, new EscalationOptions { After = TimeSpan.FromMinutes(30), MaxCount = 2 }, time: _time);
    }

    private async Task<Alert> RaiseAsync(AlertLevel level = AlertLevel.Critical, RuleMode mode = RuleMode.Enforce, string sandbox = "sbx")
    {
        var responder = new AlertResponder(_store, _outbox, ResponsePolicy.FromSettings(
            new Dictionary<string, string?> { ["critical"] = "email,teams", ["high"] = "email,teams" }, ["email", "teams", "shutdown"]), time: _time);
        return Assert.Single(await responder.RespondAsync([Candidate(Rule(level, mode), sandbox, ("hub/0", 1, 0, 0))], CancellationToken.None));
    }

    [Fact]
    public async Task An_open_critical_alert_is_renotified_after_the_interval_at_most_once_per_interval_up_to_the_max()
    {
        var alert = await RaiseAsync();

        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(0, await _escalator.RunAsync(CancellationToken.None));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await _escalator.RunAsync(CancellationToken.None));
        Assert.Equal(0, await _escalator.RunAsync(CancellationToken.None));
        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(0, await _escalator.RunAsync(CancellationToken.None));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await _escalator.RunAsync(CancellationToken.None));
        _time.Advance(TimeSpan.FromHours(5));
        Assert.Equal(0, await _escalator.RunAsync(CancellationToken.None));

        Assert.Equal(2, _escalation.Sent.Count);
        var stored = (await _store.GetAsync(alert.AlertId, CancellationToken.None))!;
        Assert.Equal(2, stored.Escalations);
        Assert.Equal(T0.AddMinutes(60), stored.EscalatedAt);
        Assert.Equal(["escalation#1", "escalation#2"], stored.Actions.Where(a => a.Channel.StartsWith("escalation", StringComparison.Ordinal)).Select(a => a.Channel));
        Assert.All(stored.Actions.Where(a => a.Channel.StartsWith("escalation", StringComparison.Ordinal)), a => Assert.Equal(ActionStatus.Sent, a.Status));
        Assert.Equal(alert.AlertId + ":escalation#2", stored.ActionFor("escalation#2")!.IdempotencyKey(alert.AlertId));
    }

    [Fact]
    public async Task Two_runs_at_once_queue_one_escalation()
    {
        await RaiseAsync();
        _time.Advance(TimeSpan.FromMinutes(31));

        var queued = await Task.WhenAll(Task.Run(() => _escalator.RunAsync(CancellationToken.None)), Task.Run(() => _escalator.RunAsync(CancellationToken.None)));

        Assert.Equal(1, queued.Sum());
        Assert.Single(_escalation.Sent);
    }

    [Theory]
    [InlineData(AlertStatus.Acknowledged)]
    [InlineData(AlertStatus.Dismissed)]
    [InlineData(AlertStatus.Resolved)]
    public async Task An_alert_a_human_took_is_not_escalated(AlertStatus status)
    {
        var alert = await RaiseAsync();
        alert = (await _store.GetAsync(alert.AlertId, CancellationToken.None))!;
        alert.Status = status;
        Assert.True(await _store.TryUpdateAsync(alert, CancellationToken.None));
        _time.Advance(TimeSpan.FromHours(2));

        Assert.Equal(0, await _escalator.RunAsync(CancellationToken.None));
        Assert.Empty(_escalation.Sent);
    }

    [Fact]
    public async Task Only_enforced_critical_alerts_are_escalated()
    {
        await RaiseAsync(AlertLevel.High, sandbox: "a");
        await RaiseAsync(AlertLevel.Critical, RuleMode.DryRun, sandbox: "b");
        _time.Advance(TimeSpan.FromHours(2));

        Assert.Equal(0, await _escalator.RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task An_escalation_whose_message_was_lost_is_queued_again_and_sent_once()
    {
        var alert = await RaiseAsync();
        alert = (await _store.GetAsync(alert.AlertId, CancellationToken.None))!;
        alert.Escalations = 1;
        alert.EscalatedAt = _time.GetUtcNow();
        alert.Actions.Add(new ActionRecord { Channel = "escalation#1", Status = ActionStatus.Pending, UpdatedAt = _time.GetUtcNow() });
        Assert.True(await _store.TryUpdateAsync(alert, CancellationToken.None));

        _time.Advance(TimeSpan.FromMinutes(11));
        await _escalator.RunAsync(CancellationToken.None);
        await _escalator.RunAsync(CancellationToken.None);

        Assert.Single(_escalation.Sent);
    }

    [Fact]
    public async Task A_zero_interval_turns_escalation_off()
    {
        await RaiseAsync();
        _time.Advance(TimeSpan.FromHours(2));

        Assert.Equal(0, await new AlertEscalator(_store, _outbox, new EscalationOptions { After = TimeSpan.Zero }, time: _time).RunAsync(CancellationToken.None));
    }
}
