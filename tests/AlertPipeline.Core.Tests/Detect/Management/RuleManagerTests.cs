using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Management;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Detect.Management;

/// <summary><see cref="RuleManager"/> on the in-memory stores: preconditions, history, validation and testing.</summary>
public sealed class RuleManagerTests
{
    private const string Pack = "default";
    private const string Id = "3d0b8c55-9c43-4f5e-8f43-5d0b7a2e1f01";

    private static readonly string TunnelRule = Rule(Id, "ssh -R", "high");

    private readonly InMemoryRuleStore _store = new();
    private readonly InMemoryRuleHistory _history = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 14, 3, 0, 0, TimeSpan.Zero));
    private readonly RuleManager _manager;

    public RuleManagerTests() => _manager = new RuleManager(_store, _history, time: _time);

    internal static string Rule(string id, string commandLine, string level) => $"""
        title: Test rule {commandLine}
        id: {id}
        status: test
        logsource:
          category: process_creation
          product: linux
        detection:
          selection:
            process.command_line|contains: '{commandLine}'
          condition: selection
        level: {level}
        """;

    private static string ProcessEvent(string time, string commandLine) =>
        $$$"""{"@timestamp":"{{{time}}}","event":{"kind":"event","category":["process"],"type":["start"]},"sandbox":{"id":"sbx-7"},"process":{"name":"ssh","command_line":"{{{commandLine}}}"}}""";

    private Task<RuleChangeResult> Create(string yaml, string who = "alice", RuleMode? mode = null)
        => _manager.PutAsync(Pack, Id, yaml, mode, RulePrecondition.Create, who, CancellationToken.None);

    private Task<IReadOnlyList<RuleChange>> History() => _manager.HistoryAsync(Pack, Id, 50, CancellationToken.None);

    [Fact]
    public async Task Create_stores_the_rule_from_its_yaml_and_records_who_and_the_after_state()
    {
        var result = await Create(TunnelRule, mode: RuleMode.DryRun);

        Assert.Equal(RuleChangeStatus.Changed, result.Status);
        Assert.Equal(RuleChangeAction.Create, result.Action);
        var stored = await _store.GetAsync(Pack, Id, CancellationToken.None);
        Assert.Equal(result.Rule, stored);
        Assert.Equal(("Test rule ssh -R", "high", true, RuleMode.DryRun, _time.GetUtcNow()), (stored!.Title, stored.Level, stored.Enabled, stored.Mode, stored.UpdatedAt));
        var change = Assert.Single(await History());
        Assert.Equal(new RuleChange(Pack, Id, _time.GetUtcNow(), "alice", RuleChangeAction.Create, null, new RuleState(TunnelRule, true, RuleMode.DryRun)), change);
    }

    [Fact]
    public async Task Create_only_on_an_existing_rule_is_refused_and_writes_nothing()
    {
        var first = await Create(TunnelRule);

        var second = await Create(Rule(Id, "ssh -D", "low"), who: "bob");

        Assert.Equal(RuleChangeStatus.AlreadyExists, second.Status);
        Assert.Equal(first.Rule, await _store.GetAsync(Pack, Id, CancellationToken.None));
        Assert.Single(await History());
    }

    [Fact]
    public async Task Replace_with_the_etag_read_records_before_and_after_and_keeps_enabled_and_mode()
    {
        var created = (await Create(TunnelRule, mode: RuleMode.DryRun)).Rule!;
        await _manager.SetEnabledAsync(Pack, Id, false, created.ETag, "alice", CancellationToken.None);
        var read = (await _manager.GetAsync(Pack, Id, CancellationToken.None))!;
        _time.Advance(TimeSpan.FromMinutes(5));
        var edited = Rule(Id, "ssh -D", "critical");

        var result = await _manager.PutAsync(Pack, Id, edited, null, RulePrecondition.Match(read.ETag!), "bob", CancellationToken.None);

        Assert.Equal(RuleChangeStatus.Changed, result.Status);
        Assert.Equal(RuleChangeAction.Replace, result.Action);
        Assert.NotEqual(read.ETag, result.Rule!.ETag);
        Assert.Equal(("critical", false, RuleMode.DryRun, edited), (result.Rule.Level, result.Rule.Enabled, result.Rule.Mode, result.Rule.Yaml));
        var history = await History();
        Assert.Equal([RuleChangeAction.Replace, RuleChangeAction.Disable, RuleChangeAction.Create], history.Select(c => c.Action));
        Assert.Equal(new RuleState(TunnelRule, false, RuleMode.DryRun), history[0].Before);
        Assert.Equal(new RuleState(edited, false, RuleMode.DryRun), history[0].After);
        Assert.Equal(("bob", _time.GetUtcNow()), (history[0].Who, history[0].At));
    }

    [Fact]
    public async Task A_stale_etag_is_a_conflict_and_nothing_is_written_or_recorded()
    {
        var read = (await Create(TunnelRule)).Rule!;
        var alice = await _manager.PutAsync(Pack, Id, Rule(Id, "ssh -D", "high"), null, RulePrecondition.Match(read.ETag!), "alice", CancellationToken.None);

        var bob = await _manager.PutAsync(Pack, Id, Rule(Id, "autossh", "high"), RuleMode.DryRun, RulePrecondition.Match(read.ETag!), "bob", CancellationToken.None);

        Assert.Equal(RuleChangeStatus.Stale, bob.Status);
        Assert.Null(bob.Rule);
        Assert.Equal(alice.Rule, await _store.GetAsync(Pack, Id, CancellationToken.None));
        Assert.DoesNotContain(await History(), c => c.Who == "bob");
    }

    [Fact]
    public async Task The_same_yaml_and_mode_again_is_unchanged_and_not_recorded()
    {
        var read = (await Create(TunnelRule)).Rule!;

        var again = await _manager.PutAsync(Pack, Id, TunnelRule, RuleMode.Enforce, RulePrecondition.Match(read.ETag!), "bob", CancellationToken.None);
        var modeOnly = await _manager.PutAsync(Pack, Id, TunnelRule, RuleMode.DryRun, RulePrecondition.Match(read.ETag!), "bob", CancellationToken.None);

        Assert.Equal(RuleChangeStatus.Unchanged, again.Status);
        Assert.Equal(read, again.Rule);
        Assert.Equal(RuleChangeStatus.Changed, modeOnly.Status);
        Assert.Equal(RuleMode.DryRun, modeOnly.Rule!.Mode);
        Assert.Equal(2, (await History()).Count);
    }

    [Fact]
    public async Task A_yaml_whose_id_is_not_the_route_id_is_refused()
    {
        var result = await _manager.PutAsync(Pack, "11111111-2222-4333-8444-555555555555", TunnelRule, null, RulePrecondition.Create, "alice", CancellationToken.None);

        Assert.Equal(RuleChangeStatus.Invalid, result.Status);
        var problem = Assert.Single(result.Problems!);
        Assert.Equal(Id, problem.RuleId);
        Assert.Contains("11111111-2222-4333-8444-555555555555", problem.Message, StringComparison.Ordinal);
        Assert.Empty(await _store.ListAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task Invalid_yaml_is_not_stored_and_its_problem_is_located()
    {
        var broken = TunnelRule.Replace("level: high", "level: severe", StringComparison.Ordinal);

        var result = await Create(broken);

        Assert.Equal(RuleChangeStatus.Invalid, result.Status);
        var problem = Assert.Single(result.Problems!);
        Assert.Equal(Id, problem.RuleId);
        Assert.Equal(broken.Split('\n').ToList().FindIndex(l => l.StartsWith("level:", StringComparison.Ordinal)) + 1, problem.Line);
        Assert.Contains("severe", problem.Message, StringComparison.Ordinal);
        Assert.Null(await _store.GetAsync(Pack, Id, CancellationToken.None));
        Assert.Empty(await History());
    }

    [Fact]
    public void Validate_accepts_a_rule_and_reports_each_kind_of_problem()
    {
        Assert.Empty(RuleManager.Validate(TunnelRule));
        var check = RuleManager.Check(TunnelRule);
        Assert.Equal((true, Id, "Test rule ssh -R", "high"), (check.IsValid, check.Id, check.Title, check.Level));
        Assert.Equal("the rule is empty", Assert.Single(RuleManager.Validate("  \n")).Message);
        Assert.Contains("32768", Assert.Single(RuleManager.Validate(TunnelRule + "# " + new string('x', RuleManager.MaxYamlLength))).Message, StringComparison.Ordinal);
        var syntax = Assert.Single(RuleManager.Validate("title: [unclosed\nid: x\n"));
        Assert.True(syntax.Line > 0, syntax.ToString());
        Assert.Contains("id", Assert.Single(RuleManager.Validate(Rule("a/b", "x", "low"))).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", Id)]
    [InlineData("pack/x", Id)]
    [InlineData("päck", Id)]
    [InlineData(Pack, "a#b")]
    public async Task A_pack_or_id_that_cannot_name_a_rule_is_a_bad_key(string pack, string id)
    {
        var result = await _manager.PutAsync(pack, id, TunnelRule, null, RulePrecondition.Create, "alice", CancellationToken.None);

        Assert.Equal(RuleChangeStatus.BadKey, result.Status);
        Assert.Empty(await _store.ListAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task A_put_without_a_precondition_is_a_programming_error()
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            _manager.PutAsync(Pack, Id, TunnelRule, null, RulePrecondition.None, "alice", CancellationToken.None));
    }

    [Fact]
    public async Task Delete_needs_the_current_etag_and_records_the_rule_it_removed()
    {
        var read = (await Create(TunnelRule)).Rule!;
        var edited = (await _manager.PutAsync(Pack, Id, Rule(Id, "ssh -D", "high"), null, RulePrecondition.Match(read.ETag!), "alice", CancellationToken.None)).Rule!;

        var stale = await _manager.DeleteAsync(Pack, Id, read.ETag!, "bob", CancellationToken.None);
        Assert.Equal(RuleChangeStatus.Stale, stale.Status);
        Assert.NotNull(await _store.GetAsync(Pack, Id, CancellationToken.None));

        var deleted = await _manager.DeleteAsync(Pack, Id, edited.ETag!, "bob", CancellationToken.None);
        Assert.Equal((RuleChangeStatus.Changed, RuleChangeAction.Delete), (deleted.Status, deleted.Action));
        Assert.Null(await _store.GetAsync(Pack, Id, CancellationToken.None));
        var change = (await History())[0];
        Assert.Equal((RuleChangeAction.Delete, "bob"), (change.Action, change.Who));
        Assert.Equal(RuleState.Of(edited), change.Before);
        Assert.Null(change.After);

        Assert.Equal(RuleChangeStatus.NotFound, (await _manager.DeleteAsync(Pack, Id, edited.ETag!, "bob", CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Enable_and_disable_record_each_change_and_skip_a_no_op()
    {
        await Create(TunnelRule);

        var disabled = await _manager.SetEnabledAsync(Pack, Id, false, null, "alice", CancellationToken.None);
        var again = await _manager.SetEnabledAsync(Pack, Id, false, null, "alice", CancellationToken.None);
        var enabled = await _manager.SetEnabledAsync(Pack, Id, true, null, "bob", CancellationToken.None);

        Assert.Equal((RuleChangeStatus.Changed, RuleChangeAction.Disable, false), (disabled.Status, disabled.Action, disabled.Rule!.Enabled));
        Assert.Equal(RuleChangeStatus.Unchanged, again.Status);
        Assert.Equal((RuleChangeStatus.Changed, RuleChangeAction.Enable, true), (enabled.Status, enabled.Action, enabled.Rule!.Enabled));
        var history = await History();
        Assert.Equal([RuleChangeAction.Enable, RuleChangeAction.Disable, RuleChangeAction.Create], history.Select(c => c.Action));
        Assert.Equal((false, true), (history[0].Before!.Enabled, history[0].After!.Enabled));
        Assert.Equal(RuleChangeStatus.NotFound, (await _manager.SetEnabledAsync(Pack, "missing", true, null, "bob", CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Enable_with_a_stale_etag_is_refused()
    {
        var read = (await Create(TunnelRule)).Rule!;
        await _manager.SetEnabledAsync(Pack, Id, false, read.ETag, "alice", CancellationToken.None);

        var result = await _manager.SetEnabledAsync(Pack, Id, true, read.ETag, "bob", CancellationToken.None);

        Assert.Equal(RuleChangeStatus.Stale, result.Status);
        Assert.False((await _store.GetAsync(Pack, Id, CancellationToken.None))!.Enabled);
    }

    [Fact]
    public async Task Who_is_recorded_cleaned_and_bounded()
    {
        await Create(TunnelRule, who: "mallory\n2025-01-01 admin logged in\u202E" + new string('x', 500));

        var who = Assert.Single(await History()).Who;

        Assert.DoesNotContain('\n', who);
        Assert.DoesNotContain('\u202E', who);
        Assert.True(who.Length <= 129, who);
        Assert.StartsWith("mallory ", who, StringComparison.Ordinal);
    }

    [Fact]
    public void Test_reports_the_matching_events_with_the_rule_fields_and_skips_the_others()
    {
        var sample = string.Join('\n',
            ProcessEvent("2025-11-14T03:20:00Z", "python train.py"),
            ProcessEvent("2025-11-14T03:20:01Z", "ssh -R 8022:localhost:22 tunnel@203.0.113.9\\u001b[2J"),
            "{\"@timestamp\":",
            ProcessEvent("2025-11-14T03:20:02Z", "ssh -N host"));

        var result = _manager.Test(TunnelRule, Encoding.UTF8.GetBytes(sample));

        Assert.True(result.IsValid);
        Assert.Equal(Id, result.RuleId);
        Assert.Equal(3, result.Events);
        Assert.Equal(1, result.MatchCount);
        var match = Assert.Single(result.Matches);
        Assert.Equal(1, match.Index);
        Assert.Equal(new DateTimeOffset(2025, 11, 14, 3, 20, 1, TimeSpan.Zero), match.Timestamp);
        var commandLine = match.Fields["process.command_line"];
        Assert.StartsWith("ssh -R 8022:localhost:22", commandLine, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', commandLine);
        Assert.NotEmpty(result.Rejected);
    }

    [Fact]
    public void Test_without_a_match_says_so_and_an_invalid_rule_evaluates_nothing()
    {
        var sample = Encoding.UTF8.GetBytes(ProcessEvent("2025-11-14T03:20:00Z", "python train.py"));

        var none = _manager.Test(TunnelRule, sample);
        var invalid = _manager.Test("title: x\n", sample);

        Assert.Equal((1, 0), (none.Events, none.MatchCount));
        Assert.Empty(none.Matches);
        Assert.False(invalid.IsValid);
        Assert.Equal(0, invalid.Events);
    }

    [Fact]
    public void Test_runs_the_address_class_enrichment_the_pipeline_runs()
    {
        const string publicSsh = """
            title: Public SSH
            id: 0a7e7d1c-5b2f-4c59-9a43-3f5e1d1e2a01
            logsource:
              category: network_connection
            detection:
              selection:
                destination.port: 22
                destination.address_class: public
              condition: selection
            level: high
            """;
        static string Connection(string ip) =>
            $$$"""{"@timestamp":"2025-11-14T03:20:00Z","event":{"kind":"event","category":["network"],"type":["start"]},"sandbox":{"id":"sbx-7"},"destination":{"ip":"{{{ip}}}","port":22}}""";

        var result = _manager.Test(publicSsh, Encoding.UTF8.GetBytes(Connection("10.0.0.4") + "\n" + Connection("203.0.113.9")));

        Assert.True(result.IsValid, string.Join("; ", result.Problems));
        Assert.Equal(1, Assert.Single(result.Matches).Index);
        Assert.Equal("public", result.Matches[0].Fields["destination.address_class"]);
    }

    private static string Burst(string reference, int gte) => $"""
        title: Tunnels in a burst
        id: 3d0b8c55-9c43-4f5e-8f43-5d0b7a2e1fcc
        correlation:
          type: event_count
          rules: [{reference}]
          group-by: [sandbox.id]
          timespan: 1m
          condition:
            gte: {gte}
        level: high
        """;

    [Fact]
    public async Task A_correlation_rule_is_tested_with_the_stored_rules_it_names()
    {
        await Create(TunnelRule);
        var sample = Enumerable.Range(0, 3).Select(i => new AlertPipeline.Core.Events.TelemetryMessage(
            Encoding.UTF8.GetBytes(ProcessEvent($"2025-11-14T03:20:0{i}Z", $"ssh -R 80{i}:localhost:22 u@h")), "sample", i, _time.GetUtcNow())).ToList();

        var fires = await _manager.TestAsync(Burst(Id, 3), sample, null, CancellationToken.None);
        var silent = await _manager.TestAsync(Burst(Id, 4), sample, null, CancellationToken.None);
        var unlinked = await _manager.TestAsync(Burst("no_such_rule", 3), sample, null, CancellationToken.None);

        var match = Assert.Single(fires.Matches);
        Assert.Equal(("3", "sandbox.id=sbx-7", 2), (match.Fields["correlation.count"], match.Fields["correlation.group"], match.Index));
        Assert.Equal(0, silent.MatchCount);
        Assert.Contains("no_such_rule", Assert.Single(unlinked.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_shows_each_stored_rule_as_the_pipeline_would_load_it()
    {
        await Create(TunnelRule);
        await _store.UpsertAsync(new RuleRecord(Pack, "3d0b8c55-9c43-4f5e-8f43-5d0b7a2e1fcc", "b", "high", true, RuleMode.Enforce, Burst("no_such_rule", 3), _time.GetUtcNow()), CancellationToken.None);
        await _store.UpsertAsync(new RuleRecord(Pack, "off", "t", "high", false, RuleMode.Enforce, "not yaml: [", _time.GetUtcNow()), CancellationToken.None);

        var health = await _manager.HealthAsync(Pack, CancellationToken.None);

        Assert.Equal("ok", health[(Pack, Id)].Status);
        Assert.Equal("disabled", health[(Pack, "off")].Status);
        var broken = health[(Pack, "3d0b8c55-9c43-4f5e-8f43-5d0b7a2e1fcc")];
        Assert.Equal("error", broken.Status);
        Assert.Contains("no_such_rule", broken.Problem!.Problem, StringComparison.Ordinal);
    }
}
