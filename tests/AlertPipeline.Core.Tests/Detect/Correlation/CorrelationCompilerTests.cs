using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Tests.Detect.Correlation;

public sealed class CorrelationCompilerTests
{
    private const string Id = "9b0c7a3e-2b1f-4c8e-9a6d-3f2e1b0c9d8a";

    [Fact]
    public void A_correlation_rule_compiles_its_section()
    {
        var rule = SigmaRuleCompiler.Compile($"""
            title: Many denies
            id: {Id}
            name: many_denies
            correlation:
              type: value_count
              rules: [deny, {CorrelationRules.SshId}]
              group-by: [source.ip, host]
              timespan: 90m
              aliases:
                host:
                  deny: observer.name
                  ssh_connection: host.name
              condition:
                field: destination.port
                gt: 10
                lte: 200
            generate: true
            level: critical
            tags: [attack.t1046]
            """);

        var definition = Assert.IsType<CorrelationDefinition>(rule.Correlation);
        Assert.Equal(("many_denies", AlertLevel.Critical), (rule.Name, rule.Level));
        Assert.Equal(CorrelationType.ValueCount, definition.Type);
        Assert.Equal(["deny", CorrelationRules.SshId], definition.Rules);
        Assert.Equal(["source.ip", "host"], definition.GroupBy);
        Assert.Equal(TimeSpan.FromMinutes(90), definition.Timespan);
        Assert.Equal(new CorrelationCondition(11, 200, null), definition.Condition);
        Assert.False(definition.Condition.IsMonotonic);
        Assert.Equal("destination.port", definition.ValueField);
        Assert.Equal("observer.name", definition.Aliases["host"]["deny"]);
        Assert.True(definition.Generate);
        Assert.False(rule.Matches(new EventBatch(), 0)); // never matches single events
    }

    [Theory]
    [InlineData("  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition: {gte: 3}\n", 3, null)] // gte
    [InlineData("  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition: {gt: 3}\n", 4, null)]
    [InlineData("  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition: {eq: 3}\n", 3, 3L)]
    [InlineData("  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition: {lt: 3}\n", null, 2L)]
    [InlineData("  type: temporal\n  rules: [a, b, c]\n  timespan: 5m\n", 3, null)] // temporal: all rules by default
    public void Conditions_become_inclusive_bounds(string section, int? min, long? max)
    {
        var rule = SigmaRuleCompiler.Compile($"title: t\nid: {Id}\ncorrelation:\n{section}");
        Assert.Equal(min, rule.Correlation!.Condition.Min);
        Assert.Equal(max, rule.Correlation.Condition.Max);
    }

    [Theory]
    [InlineData("  type: value_sum\n  rules: [a]\n  timespan: 5m\n  condition: {field: x, gt: 1}\n", "correlation type 'value_sum' is not supported", 4, 9)]
    [InlineData("  type: counting\n  rules: [a]\n  timespan: 5m\n", "unknown correlation type 'counting'", 4, 9)]
    [InlineData("  type: event_count\n  rules: [a]\n  timespan: 5 minutes\n  condition: {gte: 1}\n", "bad timespan '5 minutes'", 6, 13)]
    [InlineData("  type: event_count\n  rules: [a]\n  timespan: 5w\n  condition: {gte: 1}\n", "bad timespan '5w'", 6, 13)]
    [InlineData("  type: event_count\n  rules: [a]\n  timespan: 5m\n", "missing correlation.condition", 4, 3)]
    [InlineData("  type: value_count\n  rules: [a]\n  timespan: 5m\n  condition: {gte: 2}\n", "a value_count correlation needs condition.field", 7, 14)]
    [InlineData("  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition: {gte: 5, lt: 3}\n", "correlation.condition can never hold", 7, 14)]
    [InlineData("  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition: {about: 5}\n", "unknown condition operator 'about'", 7, 15)]
    [InlineData("  type: temporal\n  rules: [a]\n  timespan: 5m\n", "a temporal correlation needs at least two rules", 5, 10)]
    [InlineData("  type: event_count\n  rules: [a, a]\n  timespan: 5m\n  condition: {gte: 1}\n", "correlation.rules names a rule twice", 5, 10)]
    [InlineData("  type: event_count\n  rules: [a]\n  group-by: [x]\n  timespan: 5m\n  aliases: {y: {a: z}}\n  condition: {gte: 1}\n", "alias 'y' is not used in group-by", 8, 12)]
    public void Errors_carry_line_and_column(string section, string problem, int line, int column)
    {
        var error = Assert.Throws<RuleCompileException>(() => SigmaRuleCompiler.Compile($"title: t\nid: {Id}\ncorrelation:\n{section}"));
        Assert.StartsWith(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal((Id, line, column), (error.RuleId, error.Line, error.Column));
    }

    [Fact]
    public void A_rule_collection_compiles_document_by_document_with_each_documents_text()
    {
        var yaml = CorrelationRules.Ssh + "\n---\n" + CorrelationRules.EventCount(gte: 5) + "\n---\ntitle: broken\nid: x\n";
        var documents = SigmaRuleCompiler.CheckDocuments(yaml);

        Assert.Equal(3, documents.Count);
        Assert.Equal(CorrelationRules.SshId, documents[0].Rule!.Id);
        Assert.Equal(CorrelationRules.BurstId, documents[1].Rule!.Id);
        Assert.Equal(documents[1].Rule!.Id, SigmaRuleCompiler.Compile(documents[1].Yaml).Id); // a document's text is a row on its own
        Assert.Null(documents[2].Rule);
        Assert.Equal("missing detection", documents[2].Error!.Problem);
        Assert.True(documents[2].Line > documents[1].Line && documents[2].Error!.Line >= documents[2].Line); // located in the whole file
        Assert.Throws<RuleCompileException>(() => SigmaRuleCompiler.Compile(yaml)); // a row holds one document
    }

    [Fact]
    public void Linking_resolves_names_ids_and_aliases_and_orders_chains()
    {
        const string outer = """
            title: outer
            id: 00000000-0000-4000-8000-0000000000aa
            correlation:
              type: temporal
              rules: [burst, download]
              group-by: [sbx]
              aliases:
                sbx:
                  burst: sbx
                  download: sandbox.id
              timespan: 10m
            """;
        var inner = CorrelationRules.EventCount(gte: 3).Replace("title: Burst of SSH connections", "title: b\nname: burst", StringComparison.Ordinal)
            .Replace("    - sandbox.id", "    - sbx", StringComparison.Ordinal)
            .Replace("  timespan: 1m", "  timespan: 1m\n  aliases:\n    sbx:\n      ssh_connection: sandbox.id", StringComparison.Ordinal);
        var set = RuleSet.Compile(Records(CorrelationRules.Ssh, CorrelationRules.Download, outer, inner));

        Assert.Empty(set.Errors);
        Assert.Equal([CorrelationRules.BurstId, "00000000-0000-4000-8000-0000000000aa"], set.Correlations.Select(c => c.Id)); // inner first
        Assert.All(set.Rules, r => Assert.False(r.Generates));
        Assert.False(set.Correlations[0].Generates);
        Assert.True(set.Correlations[1].Generates);
        Assert.Equal([EcsField.SandboxId], set.Correlations[0].Inputs[0].GroupFields);
    }

    [Theory]
    [InlineData("rules: [nothing_like_this]", "refers to rule 'nothing_like_this'")]
    [InlineData("rules: [ssh_connection]\n  group-by: [not.a.field]", "group-by field 'not.a.field' (for rule 'ssh_connection') is not a known field")]
    [InlineData("rules: [ssh_connection]\n  group-by: [h]\n  aliases: {h: {other_rule: host.name}}", "alias 'h' names no field for rule 'ssh_connection'")]
    public void A_correlation_that_does_not_link_is_reported_and_skipped_while_the_rest_run(string section, string problem)
    {
        var broken = $"title: broken\nid: {Id}\ncorrelation:\n  type: event_count\n  {section}\n  timespan: 1m\n  condition: {{gte: 2}}\n";
        var set = RuleSet.Compile(Records(CorrelationRules.Ssh, CorrelationRules.EventCount(gte: 5), broken));

        var error = Assert.Single(set.Errors);
        Assert.Equal(Id, error.RuleId);
        Assert.StartsWith(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal(CorrelationRules.BurstId, Assert.Single(set.Correlations).Id);
    }

    [Fact]
    public void Correlations_that_refer_to_each_other_in_a_cycle_are_skipped()
    {
        static string Cycle(string id, string name, string other) =>
            $"title: {name}\nid: {id}\nname: {name}\ncorrelation:\n  type: temporal\n  rules: [{other}, ssh_connection]\n  group-by: [sandbox.id]\n  timespan: 1m\n";
        var set = RuleSet.Compile(Records(
            CorrelationRules.Ssh,
            Cycle("00000000-0000-4000-8000-000000000001", "one", "two"),
            Cycle("00000000-0000-4000-8000-000000000002", "two", "one")));

        Assert.Empty(set.Correlations);
        Assert.Equal(2, set.Errors.Count);
        Assert.Contains(set.Errors, e => e.Problem.Contains("cycle", StringComparison.Ordinal));
        Assert.True(Assert.Single(set.Rules).Generates); // nothing that links reads it any more
    }

    private static List<RuleRecord> Records(params string[] yamls)
        => yamls.Select(y => SigmaRuleCompiler.Compile(y)).Zip(yamls)
            .Select(p => new RuleRecord("test", p.First.Id, p.First.Title, "medium", true, RuleMode.Enforce, p.Second, DateTimeOffset.UnixEpoch))
            .ToList();
}
