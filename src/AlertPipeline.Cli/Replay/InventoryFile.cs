using System.Text.Json;
using AlertPipeline.Core.Enrich;

namespace AlertPipeline.Cli.Replay;

/// <summary>Reads a sandbox inventory file: a JSON array of sandbox records (docs/telemetry-schema.md).</summary>
internal static class InventoryFile
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static IReadOnlyList<SandboxRecord> Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<List<SandboxRecord>>(stream, Options) ?? [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new Commands.UsageException($"cannot read inventory {path}: {ex.Message}");
        }
    }
}
