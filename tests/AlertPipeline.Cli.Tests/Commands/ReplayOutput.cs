using System.Text.Json;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary>
/// Splits <c>replay --output json</c> into its alert lines and its incident lines (which follow the alerts and carry
/// <c>incidentId</c>), so alert assertions and the golden file hold whether or not incidents are printed.
/// </summary>
internal static class ReplayOutput
{
    public static List<string> AlertLines(string stdout) => [.. Lines(stdout).Where(l => !IsIncident(l))];

    public static List<string> IncidentLines(string stdout) => [.. Lines(stdout).Where(IsIncident)];

    private static IEnumerable<string> Lines(string stdout) => stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static bool IsIncident(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.TryGetProperty("incidentId", out _);
    }
}
