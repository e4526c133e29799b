using AlertPipeline.Core.Detect;

namespace AlertPipeline.Core.Tests.Detect;

public sealed class RuleSetTests
{
    private const string RuleId = "5f1d2c3b-0000-4000-8000-000000000001";

    private static string Yaml(string id) => $$"""
        title: Miner pool port
        id: {{id}}
        logsource:
          category: network_connection
        detection:
          selection:
            destination.port: 3333
          condition: selection
        level: high
        """;

    private static RuleRecord Row(string key, string yaml, bool enabled = true)
        => new("default", key, "Miner pool port", "high", enabled, RuleMode.Enforce, yaml, DateTimeOffset.UnixEpoch);

    [Fact]
    public void A_row_whose_key_matches_the_sigma_id_compiles()
    {
        var set = RuleSet.Compile([Row(RuleId, Yaml(RuleId))]);

        Assert.Empty(set.Errors);
        Assert.Equal(RuleId, Assert.Single(set.Rules).Rule.Id);
    }

    [Fact]
    public void A_row_whose_key_differs_from_the_sigma_id_is_reported_and_skipped()
    {
        var set = RuleSet.Compile([Row("miner-port", Yaml(RuleId)), Row(RuleId, Yaml(RuleId))]);

        var error = Assert.Single(set.Errors);
        Assert.Equal("miner-port", error.RuleId);
        Assert.Contains(RuleId, error.Problem);
        Assert.Single(set.Rules);
    }

    [Fact]
    public void Disabled_and_broken_rows_do_not_stop_the_others()
    {
        var set = RuleSet.Compile([Row("x", "title: [unclosed"), Row(RuleId, Yaml(RuleId)), Row("y", Yaml("y"), enabled: false)]);

        Assert.Single(set.Errors);
        Assert.Equal(RuleId, Assert.Single(set.Rules).Rule.Id);
    }

    [Fact]
    public void The_log_source_index_finds_exactly_what_evaluating_every_rule_finds_in_the_same_order()
    {
        var set = RuleSet.Compile(RulePackTests.LoadPack().Select(r => r.Record));
        var batch = new AlertPipeline.Core.Events.EventBatch();
        var ingestor = new AlertPipeline.Core.Ingest.TelemetryIngestor();
        var sequence = 0L;
        foreach (var file in new[] { "sandbox-telemetry.jsonl", "firewall.jsonl" })
        {
            foreach (var line in File.ReadLines(Path.Combine(RulePackTests.RepoRoot(), "samples", "rome-incident", file)).Where(l => l.Length > 0))
            {
                ingestor.Ingest(new AlertPipeline.Core.Events.TelemetryMessage(System.Text.Encoding.UTF8.GetBytes(line), file, sequence++, DateTimeOffset.UnixEpoch), batch);
            }
        }

        new AlertPipeline.Core.Enrich.EnrichmentStage(AlertPipeline.Core.Enrich.SandboxSnapshot.Empty).Enrich(batch);
        var indexed = new List<Detection>();
        set.Evaluate(batch, indexed);

        var naive = new List<Detection>();
        for (var e = 0; e < batch.Count; e++)
        {
            for (var r = 0; r < set.Rules.Count; r++)
            {
                if (set.Rules[r].Rule.Matches(batch, e))
                {
                    naive.Add(new Detection(r, e));
                }
            }
        }

        Assert.True(naive.Count > 100, $"the sample should exercise the pack ({naive.Count} matches)");
        Assert.Equal(naive, indexed);
    }
}
