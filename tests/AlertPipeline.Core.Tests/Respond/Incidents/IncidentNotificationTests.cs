using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;
using Microsoft.Extensions.Time.Testing;
using static AlertPipeline.Core.Tests.Respond.RespondTestKit;

namespace AlertPipeline.Core.Tests.Respond.Incidents;

/// <summary>The responder with incident tracking: notifications per incident, the shutdown channel per alert at the incident's level.</summary>
public sealed class IncidentNotificationTests
{
    private readonly InMemoryAlertStore _alerts = new();
    private readonly InMemoryIncidentStore _incidents = new();
    private readonly RecordingChannel _email = new("email");
    private readonly RecordingChannel _teams = new("teams");
    private readonly RecordingChannel _shutdown = new("shutdown");
    private readonly FakeTimeProvider _time = new(T0);

    private AlertResponder Responder() => new(_alerts, [_email, _teams, _shutdown], ResponsePolicy.Default, time: _time)
    {
        Incidents = new IncidentTracker(_incidents, time: _time),
    };

    private static ActiveRule TaggedRule(string id, AlertLevel level, params string[] tags)
        => new("default", new CompiledRule(id, "rule " + id, level, new MatchNothing()) { Tags = tags }, RuleMode.Enforce);

    [Fact]
    public async Task Only_the_opening_and_escalating_alerts_notify_and_the_others_say_which_notification_covers_them()
    {
        var responder = Responder();
        var tunnel = TaggedRule("00000000-0000-4000-8000-000000000001", AlertLevel.High, "attack.t1572");
        var outbound = TaggedRule("00000000-0000-4000-8000-000000000002", AlertLevel.High, "attack.t1572");
        var miner = TaggedRule("00000000-0000-4000-8000-000000000003", AlertLevel.High, "attack.t1496");

        var first = Assert.Single(await responder.RespondAsync([Candidate(tunnel, "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None));
        var second = Assert.Single(await responder.RespondAsync([Candidate(outbound, "sbx", ("hub/0", 2, 0, 1))], CancellationToken.None));
        var third = Assert.Single(await responder.RespondAsync([Candidate(miner, "sbx", ("hub/0", 3, 0, 60))], CancellationToken.None));

        Assert.Equal([first.AlertId, third.AlertId], _email.Sent);
        Assert.Equal([first.AlertId, third.AlertId], _teams.Sent);
        var incidentId = IncidentIds.For("sbx", 1);
        Assert.All(new[] { first, second, third }, a => Assert.Equal(incidentId, a.IncidentId));
        Assert.Equal(["email", "teams"], second.Actions.Select(a => a.Channel));
        Assert.All(second.Actions, a =>
        {
            Assert.Equal(ActionStatus.Skipped, a.Status);
            Assert.Equal($"incident {incidentId}: covered by its notification with alert {first.AlertId} (opened, level high)", a.Detail);
        });

        // Two high alerts make a critical incident: the escalating alert takes the critical channels, shutdown included.
        Assert.Equal(["email", "teams", "shutdown"], third.Actions.Select(a => a.Channel));
        Assert.Equal([third.AlertId], _shutdown.Sent);
    }

    [Fact]
    public async Task A_covered_alert_of_a_critical_incident_still_gets_its_own_shutdown_action()
    {
        var responder = Responder();
        await responder.RespondAsync([Candidate(TaggedRule("00000000-0000-4000-8000-000000000001", AlertLevel.High, "attack.t1572", "attack.t1496"), "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None);

        var covered = Assert.Single(await responder.RespondAsync(
            [Candidate(TaggedRule("00000000-0000-4000-8000-000000000002", AlertLevel.High, "attack.t1572"), "sbx", ("hub/0", 2, 0, 5))], CancellationToken.None));

        Assert.Equal(ActionStatus.Skipped, covered.ActionFor("email")!.Status);
        Assert.Equal(ActionStatus.Sent, covered.ActionFor("shutdown")!.Status);
    }

    [Fact]
    public async Task Redelivering_every_batch_reproduces_the_decisions_and_sends_nothing_twice()
    {
        var rules = new[]
        {
            TaggedRule("00000000-0000-4000-8000-000000000001", AlertLevel.High, "attack.t1572"),
            TaggedRule("00000000-0000-4000-8000-000000000002", AlertLevel.High, "attack.t1572"),
            TaggedRule("00000000-0000-4000-8000-000000000003", AlertLevel.Critical, "attack.t1496"),
        };
        var batches = rules.Select((r, i) => Candidate(r, "sbx", ("hub/0", i + 1, 0, i * 30))).ToList();
        var responder = Responder();
        foreach (var batch in batches)
        {
            await responder.RespondAsync([batch], CancellationToken.None);
        }

        var before = (await _incidents.GetAsync(IncidentIds.For("sbx", 1), CancellationToken.None))!;
        var sent = (_email.Sent.Count, _teams.Sent.Count, _shutdown.Sent.Count);

        foreach (var batch in batches.AsEnumerable().Reverse().Concat(batches))
        {
            _time.Advance(TimeSpan.FromSeconds(7));
            await Responder().RespondAsync([batch], CancellationToken.None);
        }

        var after = (await _incidents.GetAsync(IncidentIds.For("sbx", 1), CancellationToken.None))!;
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(sent, (_email.Sent.Count, _teams.Sent.Count, _shutdown.Sent.Count));
        Assert.Single(await _incidents.ListAsync(new IncidentQuery(), CancellationToken.None));
    }

    [Fact]
    public async Task Without_a_tracker_every_alert_notifies_on_its_own()
    {
        var responder = new AlertResponder(_alerts, [_email, _teams, _shutdown], ResponsePolicy.Default, time: _time);
        await responder.RespondAsync([Candidate(TaggedRule("00000000-0000-4000-8000-000000000001", AlertLevel.High, "attack.t1572"), "sbx", ("hub/0", 1, 0, 0))], CancellationToken.None);
        var second = Assert.Single(await responder.RespondAsync(
            [Candidate(TaggedRule("00000000-0000-4000-8000-000000000002", AlertLevel.High, "attack.t1572"), "sbx", ("hub/0", 2, 0, 1))], CancellationToken.None));

        Assert.Equal(2, _email.Sent.Count);
        Assert.Null(second.IncidentId);
    }

    private sealed class MatchNothing : EventMatcher
    {
        public override bool Matches(AlertPipeline.Core.Events.EventBatch batch, int index) => false;
    }
}
