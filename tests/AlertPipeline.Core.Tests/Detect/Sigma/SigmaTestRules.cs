using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Tests.Detect.Sigma;

/// <summary>Builds test rules and one-event batches for the Sigma compiler tests.</summary>
internal static class SigmaTestRules
{
    public const string Id = "5d0c7a3e-2b1f-4c8e-9a6d-3f2e1b0c9d8a";

    /// <summary>A rule with no log source whose detection is <paramref name="detection"/> (indented by the caller's 2 spaces).</summary>
    public static string Yaml(string detection, string? logsource = null) =>
        $"""
        title: Test rule
        id: {Id}
        status: test
        level: high
        {(logsource is null ? "" : "logsource:\n" + logsource + "\n")}detection:
        {detection}
        """;

    public static CompiledRule Compile(string detection, string? logsource = null) => SigmaRuleCompiler.Compile(Yaml(detection, logsource));

    /// <summary>One committed event with the given fields.</summary>
    public static EventBatch Event(params (EcsField Field, string Value)[] fields)
    {
        var batch = new EventBatch(4);
        batch.BeginEvent(new SourcePosition("t", 0, 0), "ecs");
        foreach (var (field, value) in fields)
        {
            batch.Set(field, value);
        }

        batch.SetTimestamp(new DateTimeOffset(2025, 11, 14, 3, 20, 0, TimeSpan.Zero));
        batch.CommitEvent();
        return batch;
    }

    /// <summary>True if <paramref name="rule"/> matches an event with <paramref name="fields"/>.</summary>
    public static bool Matches(this CompiledRule rule, params (EcsField Field, string Value)[] fields) => rule.Matches(Event(fields), 0);

    /// <summary>The compile error of <paramref name="yaml"/>; fails the test if it compiles.</summary>
    public static RuleCompileException Error(string yaml) => Assert.Throws<RuleCompileException>(() => SigmaRuleCompiler.Compile(yaml));
}
