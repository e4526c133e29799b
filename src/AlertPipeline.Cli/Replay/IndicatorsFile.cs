using AlertPipeline.Core.Enrich;

namespace AlertPipeline.Cli.Replay;

/// <summary>Reads an indicator file (docs/indicators.md): invalid rows are reported by line and skipped.</summary>
internal static class IndicatorsFile
{
    public static IReadOnlyList<ThreatIndicator> Read(string path, TextWriter stderr) => Read(path, stderr, out _);

    public static IReadOnlyList<ThreatIndicator> Read(string path, TextWriter stderr, out int skipped)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new Commands.UsageException($"cannot read indicators {path}: {ex.Message}");
        }

        var result = IndicatorFile.Parse(bytes);
        skipped = result.Problems.Count;
        foreach (var problem in result.Problems)
        {
            stderr.WriteLine($"{path}:{problem.Line}: skipped: {problem.Message}");
        }

        return result.Indicators;
    }
}
