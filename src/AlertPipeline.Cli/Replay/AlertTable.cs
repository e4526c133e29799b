using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;

namespace AlertPipeline.Cli.Replay;

/// <summary>The human-readable alert table of <c>replay</c>. Telemetry-derived text is cleaned and cut to column width.</summary>
internal static class AlertTable
{
    public static async Task WriteAsync(TextWriter writer, IReadOnlyList<Alert> alerts)
    {
        if (alerts.Count == 0)
        {
            await writer.WriteLineAsync("No alerts.").ConfigureAwait(false);
            return;
        }

        await writer.WriteLineAsync($"{"FIRST SEEN (UTC)",-20} {"LEVEL",-8} {"SANDBOX",-14} {"EVENTS",6}  {"RULE",-58} ACTIONS").ConfigureAwait(false);
        foreach (var alert in alerts)
        {
            var actions = alert.Actions.Count == 0 ? "record only" : string.Join(' ', alert.Actions.Select(a => $"{a.Channel}:{a.Status.ToString().ToLowerInvariant()}"));
            await writer.WriteLineAsync(
                $"{alert.FirstSeen.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {alert.Level.ToSigma(),-8} {Cut(alert.SandboxId, 14),-14} {alert.EventCount,6}  {Cut(alert.Title, 58),-58} {actions}")
                .ConfigureAwait(false);
        }
    }

    private static string Cut(string text, int width)
    {
        var clean = SafeText.Clean(text, width);
        return clean.Length > width ? clean[..(width - 1)] + "…" : clean;
    }
}
