using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Escalation;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Core.Respond.Outbox;
using Microsoft.Extensions.Time.Testing;
using static AlertPipeline.Core.Tests.Respond.RespondTestKit;

namespace AlertPipeline.Core.Tests.Respond.Incidents;

/// <summary>Quiet escalation follows the incident: covered alerts are not re-notified, and an acknowledged incident stops it.</summary>
public sealed class IncidentEscalationTests
{
    private readonly FakeTimeProvider _time = new(T0);
    private readonly InMemoryAlertStore _alerts = new();
    private readonly InMemoryIncidentStore _incidents = new();
    private readonly RecordingChannel _escalation = new(AlertEscalator.Channel);
    private readonly InlineNotificationOutbox _outbox;
    private readonly AlertEscalator _escalator;

    public IncidentEscalationTests()
    {
        var dispatcher = new NotificationDispatcher(_alerts, [_escalation, new RecordingChannel("email"), new RecordingChannel("teams"), new RecordingChannel("shutdown")],
            new InMemoryNotificationPoisonStore(), time: _time);
        _outbox = new InlineNotificationOutbox(() => dispatcher);
        _escalator = new AlertEscalator(_alerts, _outbox, new EscalationOptions { After = TimeSpan.FromMinutes(30) }, time: _time) { Incidents = _incidents };
    }

    private async Task<(Alert Opener, Alert Covered)> RaiseTwoAsync()
    {
        var responder = new AlertResponder(_alerts, _outbox, ResponsePolicy.Default, time: _time) { Incidents = new IncidentTracker(_incidents, time: _time) };
        var opener = Assert.Single(await responder.RespondAsync([Candidate(Rule(AlertLevel.Critical, id: "6f1c2a0e-0000-4000-8000-000000000001"), "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None));
        var covered = Assert.Single(await responder.RespondAsync([Candidate(Rule(AlertLevel.Critical, id: "6f1c2a0e-0000-4000-8000-000000000002"), "sbx", ("hub/0", 2, 0, 5))], CancellationToken.None));
        return (opener, covered);
    }

    [Fact]
    public async Task Only_the_alert_that_carried_the_incidents_notification_is_escalated()
    {
        var (opener, _) = await RaiseTwoAsync();

        _time.Advance(TimeSpan.FromMinutes(31));

        Assert.Equal(1, await _escalator.RunAsync(CancellationToken.None));
        Assert.Equal([opener.AlertId], _escalation.Sent);
    }

    [Fact]
    public async Task An_acknowledged_incident_is_not_escalated()
    {
        var (opener, _) = await RaiseTwoAsync();
        await IncidentStatusChanges.SetAsync(_incidents, opener.IncidentId!, IncidentStatus.Acknowledged, "ops", _time.GetUtcNow(), null, CancellationToken.None);

        _time.Advance(TimeSpan.FromMinutes(31));

        Assert.Equal(0, await _escalator.RunAsync(CancellationToken.None));
        Assert.Empty(_escalation.Sent);
    }
}
