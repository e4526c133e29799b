using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Events;
using static AlertPipeline.Core.Tests.Detect.Sigma.SigmaTestRules;

namespace AlertPipeline.Core.Tests.Detect.Sigma;

/// <summary><see cref="SigmaRuleCompiler.Check"/>: ok, unsupported (a valid rule we cannot run) and error.</summary>
public sealed class SigmaCheckTests
{
    private const string Windows = "  product: windows\n  category: registry_set";

    [Fact]
    public void A_rule_for_an_ingested_source_is_ok_with_its_compiled_rule()
    {
        var result = SigmaRuleCompiler.Check(Yaml("  sel:\n    Image|endswith: '/ssh'\n  condition: sel", "  product: linux\n  category: process_creation"));
        Assert.Equal(SigmaRuleStatus.Ok, result.Status);
        Assert.Equal(Id, result.RuleId);
        Assert.NotNull(result.Rule);
        Assert.Null(result.Problem);
        Assert.Null(result.Reason);
        Assert.True(result.Rule.Matches((EcsField.EventCategory, "process"), (EcsField.EventType, "start"), (EcsField.ProcessExecutable, "/usr/bin/ssh")));
    }

    [Fact]
    public void A_valid_rule_for_a_source_we_do_not_ingest_is_unsupported_and_its_fields_are_not_errors()
    {
        var yaml = Yaml("  sel:\n    TargetObject|contains: '\\CurrentVersion\\Run'\n    Details|re: '^[A-Z]:'\n  filter:\n    Image|endswith: '\\explorer.exe'\n  condition: sel and not filter", Windows);
        var result = SigmaRuleCompiler.Check(yaml);
        Assert.Equal(SigmaRuleStatus.Unsupported, result.Status);
        Assert.Null(result.Rule);
        Assert.Equal(Id, result.RuleId);
        Assert.Equal("unsupported logsource (category 'registry_set', product 'windows')", result.Reason);
        Assert.Equal(6, result.Problem!.Line);
    }

    [Theory]
    [InlineData("  sel:\n    TargetObject|re: '(unclosed'\n  condition: sel", "invalid regular expression")]
    [InlineData("  sel:\n    TargetObject|sortof: x\n  condition: sel", "unknown modifier 'sortof'")]
    [InlineData("  sel:\n    TargetObject|contains|startswith: x\n  condition: sel", "conflicting modifiers")]
    [InlineData("  sel:\n    TargetObject: x\n  condition: sel and not filter", "unknown selection 'filter'")]
    [InlineData("  sel:\n    SourceIp|cidr: 10.0.0.0/33\n  condition: sel", "invalid CIDR")]
    [InlineData("  sel:\n    TargetObject: x\n", "missing condition")]
    public void Detection_errors_of_an_unsupported_source_are_still_errors(string detection, string problem)
    {
        var result = SigmaRuleCompiler.Check(Yaml(detection, Windows));
        Assert.Equal(SigmaRuleStatus.Error, result.Status);
        Assert.Null(result.Rule);
        Assert.StartsWith(problem, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Fieldref_to_a_field_of_an_unsupported_source_is_not_an_error()
    {
        var result = SigmaRuleCompiler.Check(Yaml("  sel:\n    SubjectUserName|fieldref: TargetUserName\n  condition: sel", "  product: windows\n  service: security"));
        Assert.Equal(SigmaRuleStatus.Unsupported, result.Status);
        Assert.StartsWith("unsupported logsource (service 'security'", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_taxonomy_field_we_do_not_carry_makes_an_ingested_rule_unsupported_at_that_field()
    {
        var result = SigmaRuleCompiler.Check(Yaml("  sel:\n    Image|endswith: '/sh'\n    LogonId: 0\n  condition: sel", "  product: linux\n  category: process_creation"));
        Assert.Equal(SigmaRuleStatus.Unsupported, result.Status);
        Assert.Equal("field 'LogonId' of the Sigma taxonomy is not in our telemetry", result.Reason);
        Assert.Equal(11, result.Problem!.Line);
        Assert.Equal(5, result.Problem.Column);
    }

    [Fact]
    public void A_fieldref_to_a_taxonomy_field_we_do_not_carry_is_unsupported()
    {
        var result = SigmaRuleCompiler.Check(Yaml("  sel:\n    User|fieldref: ParentUser\n  condition: sel", "  product: linux\n  category: process_creation"));
        Assert.Equal(SigmaRuleStatus.Unsupported, result.Status);
        Assert.Equal("field 'ParentUser' of the Sigma taxonomy is not in our telemetry", result.Reason);
    }

    [Theory]
    [InlineData("Imgae|endswith: '/sh'", "unknown field 'Imgae'")]
    [InlineData("User|fieldref: Usr", "fieldref names unknown field 'Usr'")]
    public void An_unknown_field_of_an_ingested_source_is_still_an_error(string selection, string problem)
    {
        var result = SigmaRuleCompiler.Check(Yaml($"  sel:\n    {selection}\n  condition: sel", "  product: linux\n  category: process_creation"));
        Assert.Equal(SigmaRuleStatus.Error, result.Status);
        Assert.Equal(problem, result.Reason);
    }

    [Fact]
    public void Invalid_yaml_and_incomplete_correlation_rules_are_errors_and_a_complete_one_is_ok()
    {
        Assert.Equal(SigmaRuleStatus.Error, SigmaRuleCompiler.Check("title: [unclosed").Status);
        var incomplete = SigmaRuleCompiler.Check($"title: t\nid: {Id}\ncorrelation:\n  type: event_count\n");
        Assert.Equal(SigmaRuleStatus.Error, incomplete.Status);
        Assert.StartsWith("missing correlation.rules", incomplete.Reason, StringComparison.Ordinal);

        var complete = SigmaRuleCompiler.Check($"title: t\nid: {Id}\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n  condition: {{gte: 2}}\n");
        Assert.Equal(SigmaRuleStatus.Ok, complete.Status);
        Assert.NotNull(complete.Rule!.Correlation);
    }

    [Fact]
    public void Compile_and_the_rule_store_row_refuse_an_unsupported_rule()
    {
        var yaml = Yaml("  sel:\n    TargetObject: x\n  condition: sel", Windows);
        var error = Assert.Throws<RuleCompileException>(() => SigmaRuleCompiler.Compile(yaml));
        Assert.StartsWith("unsupported logsource", error.Problem, StringComparison.Ordinal);
        Assert.Throws<RuleCompileException>(() => RuleRecord.FromSigma("p", yaml, RuleMode.Enforce, DateTimeOffset.UnixEpoch));

        var set = RuleSet.Compile([new RuleRecord("p", Id, "t", "high", true, RuleMode.Enforce, yaml, DateTimeOffset.UnixEpoch)]);
        Assert.Empty(set.Rules);
        Assert.StartsWith("unsupported logsource", Assert.Single(set.Errors).Problem, StringComparison.Ordinal);
    }
}
