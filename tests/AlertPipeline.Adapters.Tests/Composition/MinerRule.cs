using AlertPipeline.Core.Detect;

namespace AlertPipeline.Adapters.Tests.Composition;

/// <summary>
/// The critical rule the composition and controller end-to-end tests drive the composed app with: a sandbox process
/// named <c>xmrig</c>. Linked into the CLI tests too, so both suites test one rule.
/// </summary>
internal static class MinerRule
{
    /// <summary>The rule's title.</summary>
    public const string Title = "Miner process in a sandbox";

    /// <summary>The rule as a stored record of <paramref name="pack"/>, enforced, with id <paramref name="ruleId"/>.</summary>
    public static RuleRecord Record(string pack, string ruleId) => new(pack, ruleId, Title, "critical", true, RuleMode.Enforce, $"""
        title: {Title}
        id: {ruleId}
        logsource:
          category: process_creation
          product: linux
        detection:
          selection:
            process.name: xmrig
          condition: selection
        level: critical
        """, DateTimeOffset.UnixEpoch);
}
