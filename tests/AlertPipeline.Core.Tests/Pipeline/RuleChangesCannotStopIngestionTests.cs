using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;

namespace AlertPipeline.Core.Tests.Pipeline;

/// <summary>
/// Whatever an operator stores, or an adversary puts in telemetry, the batch goes through: a row that is not YAML is
/// skipped and reported, and a rule whose regex backtracks cannot spend its time budget on every event.
/// </summary>
public sealed class RuleChangesCannotStopIngestionTests
{
    private const string GoodId = "7a1e0c55-9d2b-4f3e-8a61-0c5b2d3e4f01";
    private const string HostileId = "7a1e0c55-9d2b-4f3e-8a61-0c5b2d3e4f02";

    [Fact]
    public async Task A_malformed_row_and_a_backtracking_regex_leave_the_batch_and_the_other_rules_running()
    {
        var store = new InMemoryRuleStore();
        await store.UpsertAsync(Row(GoodId, $"""
            title: SSH out
            id: {GoodId}
            logsource:
              category: network_connection
            detection:
              selection:
                destination.port: 22
              condition: selection
            level: high
            """), CancellationToken.None);
        await store.UpsertAsync(Row("broken", "title: [unclosed\nid: broken\ndetection: {"), CancellationToken.None);

        // The lookahead forces the backtracking engine, and the nested quantifier explodes on a's ending in '!'.
        await store.UpsertAsync(Row(HostileId, $"""
            title: Backtracking
            id: {HostileId}
            logsource:
              category: process_creation
            detection:
              selection:
                CommandLine|re: '^(?=x*)(a|aa)+$'
              condition: selection
            level: high
            """), CancellationToken.None);

        var rules = new RuleSetProvider(store, TimeSpan.FromMinutes(1));
        var alerts = new InMemoryAlertStore();
        var pipeline = new TelemetryPipeline(
            new TelemetryIngestor(),
            new SandboxSnapshotProvider(new InMemorySandboxInventory([]), TimeSpan.FromMinutes(1)),
            rules,
            new AlertResponder(alerts, [], ResponsePolicy.Default),
            new InMemoryDeadLetterStore(),
            new PipelineOptions(),
            new CorrelationEngine(new InMemoryCorrelationStateStore()));

        var hostileLine = new string('a', 3_000) + "!";
        var messages = Enumerable.Range(0, 200)
            .Select(i => $$$"""{"@timestamp":"2025-11-14T03:20:{{{i % 60:00}}}Z","event":{"category":"process","type":"start"},"sandbox":{"id":"sbx-1"},"process":{"name":"sh","command_line":"{{{hostileLine}}}"}}""")
            .Append("""{"@timestamp":"2025-11-14T03:21:00Z","event":{"category":"network","type":"connection"},"sandbox":{"id":"sbx-1"},"destination":{"ip":"203.0.113.66","port":22}}""")
            .Select((json, i) => new TelemetryMessage(Encoding.UTF8.GetBytes(json), "p0", i, DateTimeOffset.UnixEpoch))
            .ToList();

        var result = await pipeline.ProcessAsync(messages, CancellationToken.None);

        Assert.Equal(201, result.EventsAccepted);
        Assert.Equal(GoodId, Assert.Single(result.Alerts).RuleId);
        Assert.Equal(RuleRunState.Broken, rules.Statuses.Single(s => s.Id == "broken").State);

        // The hostile regex ran out of time a few times, then stopped being evaluated for the rest of the batch:
        // the batch cost a few budgets, not two hundred.
        var set = await rules.GetAsync(CancellationToken.None);
        var regex = FindRegex(set.Rules.Single(r => r.Rule.Id == HostileId).Rule.Matcher);
        Assert.Equal(RegexTest.TripAfterTimeouts, regex.Timeouts);
        Assert.Equal(200 - RegexTest.TripAfterTimeouts, regex.Skipped);
    }

    private static RuleRecord Row(string id, string yaml) => new("default", id, "t", "high", true, RuleMode.Enforce, yaml, DateTimeOffset.UnixEpoch);

    private static RegexTest FindRegex(EventMatcher matcher) => Assert.Single(Regexes(matcher));

    private static IEnumerable<RegexTest> Regexes(EventMatcher matcher) => matcher switch
    {
        FieldValueMatcher field => field.Tests.OfType<RegexTest>(),
        AndMatcher and => and.Children.SelectMany(Regexes),
        OrMatcher or => or.Children.SelectMany(Regexes),
        _ => [],
    };
}
