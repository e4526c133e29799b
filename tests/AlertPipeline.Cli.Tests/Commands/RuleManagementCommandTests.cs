using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Cli.Commands;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Management;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary><c>rules test</c>, <c>rules push</c> through the rule manager, and <c>rules history</c>.</summary>
public sealed class RuleManagementCommandTests : IDisposable
{
    private const string Id = "3d0b8c55-9c43-4f5e-8f43-5d0b7a2e1f01";

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("alertpipe-rules-");

    public void Dispose() => _dir.Delete(recursive: true);

    internal static string Rule(string id, string commandLine) => $"""
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
        level: high
        """;

    private static string ProcessEvent(string time, string commandLine) =>
        $$$"""{"@timestamp":"{{{time}}}","event":{"kind":"event","category":["process"],"type":["start"]},"sandbox":{"id":"sbx-7"},"process":{"name":"ssh","command_line":"{{{commandLine}}}"}}""";

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private string Events() => Write("events.jsonl", string.Join('\n',
        ProcessEvent("2025-11-14T03:20:00Z", "python train.py"),
        ProcessEvent("2025-11-14T03:20:01Z", "ssh -R 8022:localhost:22 tunnel@203.0.113.9"),
        "{\"@timestamp\":",
        ProcessEvent("2025-11-14T03:20:02Z", "ssh -R 9000:localhost:22 other@203.0.113.10")) + "\n");

    [Fact]
    public async Task Test_prints_each_matching_event_and_exits_0()
    {
        var run = await CliRun.RunAsync("rules", "test", Write("rule.yml", Rule(Id, "ssh -R")), Events());

        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("event 1 2025-11-14T03:20:01.000Z: process.command_line=ssh -R 8022", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("event 2 2025-11-14T03:20:02.000Z: process.command_line=ssh -R 9000", lines[1], StringComparison.Ordinal);
        Assert.Equal($"2 of 3 events matched rule {Id}", lines[2].TrimEnd());
        Assert.Contains("not evaluated", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_of_a_rule_collection_runs_its_correlation_over_the_events()
    {
        var collection = $"""
            title: Two tunnels in a minute
            id: 2e0c4d8a-6b1f-4a7e-9c3d-1f2e3d4c5b6a
            correlation:
              type: event_count
              rules: [{Id}]
              group-by: [sandbox.id]
              timespan: 1m
              condition:
                gte: 2
            level: high
            ---
            {Rule(Id, "ssh -R")}
            """;

        var run = await CliRun.RunAsync("rules", "test", Write("collection.yml", collection), Events());

        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("event 2 2025-11-14T03:20:02.000Z: correlation.count=2, correlation.group=sandbox.id=sbx-7", lines[0], StringComparison.Ordinal);
        Assert.Contains("matched rule 2e0c4d8a-6b1f-4a7e-9c3d-1f2e3d4c5b6a", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_without_a_match_exits_1()
    {
        var run = await CliRun.RunAsync("rules", "test", Write("rule.yml", Rule(Id, "autossh")), Events());

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"0 of 3 events matched rule {Id}", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_of_an_invalid_rule_or_a_missing_file_exits_2()
    {
        var rule = Write("bad.yml", Rule(Id, "x").Replace("level: high", "level: severe", StringComparison.Ordinal));

        var invalid = await CliRun.RunAsync("rules", "test", rule, Events());
        var missing = await CliRun.RunAsync("rules", "test", rule, Path.Combine(_dir.FullName, "nope.jsonl"));
        var noEvents = await CliRun.RunAsync("rules", "test", rule);

        Assert.Equal(2, invalid.ExitCode);
        Assert.Contains($"{rule}:11:", invalid.Stderr, StringComparison.Ordinal);
        Assert.Contains("severe", invalid.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal(2, noEvents.ExitCode);
    }

    [Fact]
    public async Task Push_reports_a_row_changed_since_it_was_read_and_does_not_overwrite_it()
    {
        var store = new RacingRuleStore();
        var manager = new RuleManager(store, new InMemoryRuleHistory());
        await manager.PutAsync("default", Id, Rule(Id, "ssh -R"), null, RulePrecondition.Create, "alice", CancellationToken.None);
        var file = Write("default/tunnel.yml", Rule(Id, "ssh -D"));
        var files = RulePack.Load([file], null, RuleMode.Enforce, TimeProvider.System);
        var stderr = new StringWriter();

        // Another operator edits the rule right after the push has read it.
        store.RaceAfterNextGet = rule => rule with { Yaml = Rule(Id, "autossh") };
        var summary = await new RuleChangesCommand(new StringWriter(), stderr).PushAsync(files, manager, null, "bob", CancellationToken.None);

        Assert.Equal(new PushSummary(0, 0, 0, 1, 0), summary);
        Assert.Contains($"rule default/{Id} changed in the store while pushing; not overwritten", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(Rule(Id, "autossh"), (await store.GetAsync("default", Id, CancellationToken.None))!.Yaml);
    }

    /// <summary>A store where someone else writes between the push's read and its write.</summary>
    private sealed class RacingRuleStore : IRuleStore
    {
        private readonly InMemoryRuleStore _inner = new();

        public Func<RuleRecord, RuleRecord>? RaceAfterNextGet { get; set; }

        public async Task<RuleRecord?> GetAsync(string pack, string id, CancellationToken cancellationToken)
        {
            var read = await _inner.GetAsync(pack, id, cancellationToken);
            if (read is not null && RaceAfterNextGet is { } race)
            {
                RaceAfterNextGet = null;
                await _inner.UpsertAsync(race(read), cancellationToken);
            }

            return read;
        }

        public Task<IReadOnlyList<RuleRecord>> ListAsync(string? pack, CancellationToken cancellationToken) => _inner.ListAsync(pack, cancellationToken);

        public Task<RuleRecord> UpsertAsync(RuleRecord rule, CancellationToken cancellationToken) => _inner.UpsertAsync(rule, cancellationToken);

        public Task<bool> DeleteAsync(string pack, string id, CancellationToken cancellationToken) => _inner.DeleteAsync(pack, id, cancellationToken);

        public Task<RuleWriteResult> CreateAsync(RuleRecord rule, CancellationToken cancellationToken) => _inner.CreateAsync(rule, cancellationToken);

        public Task<RuleWriteResult> ReplaceAsync(RuleRecord rule, string ifMatch, CancellationToken cancellationToken) => _inner.ReplaceAsync(rule, ifMatch, cancellationToken);

        public Task<RuleWriteResult> DeleteAsync(string pack, string id, string ifMatch, CancellationToken cancellationToken) => _inner.DeleteAsync(pack, id, ifMatch, cancellationToken);
    }
}

/// <summary><c>rules push</c> and <c>rules history</c> against Azurite: created, unchanged on a second push, replaced on an edit, all recorded.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class RulePushHistoryTests(AzuriteFixture azurite) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("alertpipe-push-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task A_second_push_rewrites_nothing_an_edit_replaces_and_history_shows_who()
    {
        // A pack name no other test uses: the Azurite account is shared.
        var pack = "p" + Guid.NewGuid().ToString("N")[..12];
        var id = Guid.NewGuid().ToString();
        var packDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, pack));
        var file = Path.Combine(packDir.FullName, "tunnel.yml");
        await File.WriteAllTextAsync(file, RuleManagementCommandTests.Rule(id, "ssh -R"));
        string[] push = ["rules", "push", packDir.FullName, "--storage", azurite.ConnectionString, "--who", "ci-bot"];

        var first = await CliRun.RunAsync(push);
        var second = await CliRun.RunAsync(push);
        await File.WriteAllTextAsync(file, RuleManagementCommandTests.Rule(id, "ssh -D"));
        var third = await CliRun.RunAsync([.. push, "--mode", "dry-run"]);
        var history = await CliRun.RunAsync("rules", "history", pack, id, "--storage", azurite.ConnectionString);

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("pushed 1 (created 1, replaced 0), unchanged 0, conflicts 0", first.Stdout, StringComparison.Ordinal);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("pushed 0 (created 0, replaced 0), unchanged 1, conflicts 0", second.Stdout, StringComparison.Ordinal);
        Assert.True(third.ExitCode == 0, third.Stderr);
        Assert.Contains("pushed 1 (created 0, replaced 1)", third.Stdout, StringComparison.Ordinal);

        Assert.Equal(0, history.ExitCode);
        var rows = history.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Matches(@"^\S+ replace\s+yes→yes\s+enforce→dry-run\s+changed\s+ci-bot\s*$", rows[0]);
        Assert.Matches(@"^\S+ create\s+-→yes\s+-→enforce\s+-\s+ci-bot\s*$", rows[1]);
    }
}
