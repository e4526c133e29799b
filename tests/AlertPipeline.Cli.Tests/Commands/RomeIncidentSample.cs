namespace AlertPipeline.Cli.Tests.Commands;

/// <summary>The recorded incident under <c>samples/rome-incident</c>, replayed as the README does.</summary>
internal static class RomeIncidentSample
{
    public static string Folder { get; } = Path.Combine(CliRun.RepoRoot, "samples", "rome-incident");

    /// <summary><c>replay</c> of the three telemetry files with the sample inventory and indicators, plus <paramref name="extra"/> arguments.</summary>
    public static Task<CliRun> ReplayAsync(params string[] extra) => CliRun.RunAsync(
    [
        "replay",
        Path.Combine(Folder, "sandbox-telemetry.jsonl"),
        Path.Combine(Folder, "firewall.jsonl"),
        Path.Combine(Folder, "sensors.jsonl"),
        "--inventory", Path.Combine(Folder, "inventory.json"),
        "--indicators", Path.Combine(Folder, "indicators.csv"),
        .. extra,
    ]);
}
