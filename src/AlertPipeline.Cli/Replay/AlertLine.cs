using AlertPipeline.Core.Respond;

namespace AlertPipeline.Cli.Replay;

/// <summary>The JSON line printed per alert by <c>replay --output json</c>; stable field names for scripts and golden files.</summary>
internal sealed record AlertLine(
    string AlertId,
    string RuleId,
    string Title,
    string Level,
    IReadOnlyList<string> Tags,
    string SandboxId,
    string FirstSeen,
    string LastSeen,
    long EventCount,
    string Mode,
    IReadOnlyList<AlertLine.Action> Actions)
{
    public static AlertLine From(Alert alert) => new(
        alert.AlertId,
        alert.RuleId,
        alert.Title,
        Core.Detect.AlertLevels.ToSigma(alert.Level),
        alert.Tags,
        alert.SandboxId,
        alert.FirstSeen.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        alert.LastSeen.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        alert.EventCount,
        Core.Detect.RuleModes.ToText(alert.Mode),
        alert.Actions.Select(a => new Action(a.Channel, a.Status.ToString().ToLowerInvariant(), a.Detail)).ToList());

    /// <summary>One channel's outcome.</summary>
    public sealed record Action(string Channel, string Status, string? Detail);
}
