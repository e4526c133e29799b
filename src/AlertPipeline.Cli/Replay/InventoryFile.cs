using AlertPipeline.Core.Enrich;

namespace AlertPipeline.Cli.Replay;

/// <summary>Reads a sandbox inventory file (docs/telemetry-schema.md): invalid rows are reported by line and skipped.</summary>
internal static class InventoryFile
{
    public static IReadOnlyList<SandboxRecord> Read(string path, TextWriter stderr) => Read(path, stderr, out _);

    public static IReadOnlyList<SandboxRecord> Read(string path, TextWriter stderr, out int skipped)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new Commands.UsageException($"cannot read inventory {path}: {ex.Message}");
        }

        var result = SandboxInventoryJson.Parse(bytes);
        skipped = result.Problems.Count;
        foreach (var problem in result.Problems)
        {
            stderr.WriteLine($"{path}:{problem.Line}: skipped: {problem.Message}");
        }

        return result.Sandboxes;
    }
}
