using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Core.Respond.Shutdown;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Respond.Incidents;

/// <summary>The real link handler and outcome recorder move the alert's incident: acknowledged by a human, contained by the controller.</summary>
public sealed class IncidentStatusHookTests
{
    private const string LinkKey = "YWN0aW9uLWxpbmstdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";
    private const string CommandKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    private const string HostKey = "aG9zdC1hLXJlc3VsdC1rZXktMDEyMzQ1Njc4OWFiY2Q=";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 14, 3, 20, 0, TimeSpan.Zero));
    private readonly InMemoryAlertStore _alerts = new();
    private readonly InMemoryIncidentStore _incidents = new();
    private readonly ActionLinkSigner _signer;
    private readonly IncidentTracker _tracker;
    private readonly AlertActionHandler _handler;

    public IncidentStatusHookTests()
    {
        _signer = new ActionLinkSigner(LinkKey, "a1", _time);
        _tracker = new IncidentTracker(_incidents, time: _time);
        var shutdownOptions = new ShutdownOptions();
        var shutdown = new ShutdownChannel(new InMemoryShutdownCommandQueue(), new CommandSigner(CommandKey, "k1", _time),
            new SandboxSnapshotProvider(new InMemorySandboxInventory([new SandboxRecord { Id = "rl-env-7731" }]), TimeSpan.FromMinutes(1), _time),
            shutdownOptions, _time, new InMemoryShutdownLedger());
        _handler = new AlertActionHandler(_alerts, new InMemoryActionNonceStore(), _signer, new InMemoryAuditLog(), shutdown, shutdownOptions, time: _time)
        {
            Incidents = _tracker,
        };
    }

    private async Task<Alert> AlertInIncidentAsync(ActionStatus shutdown, string? nonce = null)
    {
        var alert = IncidentTrackerTests.NewAlert("a1", "rl-env-7731", _time.GetUtcNow().AddMinutes(-1), AlertLevel.Critical, "Miner started", ["attack.t1496"]);
        alert.IncidentId = (await _tracker.TrackAsync(alert, CancellationToken.None))!.Incident.IncidentId;
        alert.Actions = [new ActionRecord { Channel = "shutdown", Status = shutdown, Attempts = 1, CommandNonce = nonce }];
        Assert.True(await _alerts.TryAddAsync(alert, CancellationToken.None));
        return alert;
    }

    private async Task<Incident> IncidentAsync(Alert alert) => (await _incidents.GetAsync(alert.IncidentId!, CancellationToken.None))!;

    [Fact]
    public async Task Acknowledging_an_alert_through_its_link_acknowledges_its_incident()
    {
        var alert = await AlertInIncidentAsync(ActionStatus.Sent);

        var result = await _handler.ExecuteAsync(_signer.Sign(alert.AlertId, AlertAction.Acknowledge, TimeSpan.FromHours(1), "ops@example.com"), CancellationToken.None);

        Assert.Equal(ActionLinkStatus.Done, result.Status);
        var incident = await IncidentAsync(alert);
        Assert.Equal(IncidentStatus.Acknowledged, incident.Status);
        Assert.Equal("ops@example.com (signed link)", incident.StatusBy);
        Assert.Contains(incident.Timeline, e => e.Kind == TimelineKinds.Status && e.Summary.StartsWith("status acknowledged by ops@example.com", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Approving_a_held_command_acknowledges_the_incident_and_puts_the_issued_command_on_it()
    {
        var alert = await AlertInIncidentAsync(ActionStatus.AwaitingApproval);

        await _handler.ExecuteAsync(_signer.Sign(alert.AlertId, AlertAction.Approve, TimeSpan.FromHours(1), "ops@example.com"), CancellationToken.None);

        var incident = await IncidentAsync(alert);
        Assert.Equal(IncidentStatus.Acknowledged, incident.Status);
        Assert.Equal("issued", Assert.Single(incident.Commands).Status);
        Assert.Contains(incident.Timeline, e => e.Kind == TimelineKinds.Command && e.Summary.Contains("approved by ops@example.com", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_controllers_done_contains_the_incident_and_a_failure_does_not()
    {
        var alert = await AlertInIncidentAsync(ActionStatus.Sent, "n-issued");
        var host = new OutcomeSigner(new Dictionary<string, string> { ["host-a"] = HostKey }, "host-a");
        var recorder = new CommandOutcomeRecorder(_alerts, signer: new OutcomeSigner(new Dictionary<string, string> { ["host-a"] = HostKey }), audit: new AuditTrail(new InMemoryAuditLog()))
        {
            Incidents = _tracker,
        };
        var outcome = new CommandOutcome
        {
            CommandId = ShutdownChannel.CommandIdFor(alert.AlertId), AlertId = alert.AlertId, SandboxId = "rl-env-7731", Action = "shutdown",
            Status = "done", Detail = "hook exit 0", At = _time.GetUtcNow().AddSeconds(4), Nonce = "n-issued",
        };

        Assert.True(await recorder.RecordAsync(host.Sign(outcome), CancellationToken.None));
        Assert.False(await recorder.RecordAsync(host.Sign(outcome with { Status = "rejected", Detail = "replayed" }), CancellationToken.None));

        var incident = await IncidentAsync(alert);
        Assert.Equal(IncidentStatus.Contained, incident.Status);
        Assert.Equal("controller:host-a", incident.StatusBy);
        Assert.Equal(new IncidentCommand(alert.AlertId, "done", outcome.At), Assert.Single(incident.Commands));
        Assert.Single(incident.Timeline, e => e.Kind == TimelineKinds.Command);
    }
}
