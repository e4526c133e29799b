using AlertPipeline.Core.Enrich;

namespace AlertPipeline.Cli.Replay;

/// <summary>
/// Reads an import file (sandbox inventory, threat indicators) for <c>import</c> and <c>replay</c>: an unreadable file is a
/// usage error; invalid rows are reported as <c>file:line</c> on stderr and skipped.
/// </summary>
internal static class ImportFile
{
    /// <summary>The sandboxes of an inventory file (docs/telemetry-schema.md).</summary>
    public static IReadOnlyList<SandboxRecord> Sandboxes(string path, TextWriter stderr, out int skipped)
    {
        var result = SandboxInventoryJson.Parse(ReadBytes(path, "inventory"));
        skipped = Report(path, result.Problems, stderr);
        return result.Sandboxes;
    }

    /// <summary>The indicators of an indicator file (docs/indicators.md).</summary>
    public static IReadOnlyList<ThreatIndicator> Indicators(string path, TextWriter stderr, out int skipped)
    {
        var result = IndicatorFile.Parse(ReadBytes(path, "indicators"));
        skipped = Report(path, result.Problems, stderr);
        return result.Indicators;
    }

    private static byte[] ReadBytes(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new Commands.UsageException($"cannot read {what} {path}: {ex.Message}");
        }
    }

    private static int Report(string path, IReadOnlyList<SkippedRow> skipped, TextWriter stderr)
    {
        foreach (var row in skipped)
        {
            stderr.WriteLine($"{path}:{row.Line}: skipped: {row.Message}");
        }

        return skipped.Count;
    }
}
