using System.Text.Json;

namespace AlertPipeline.Shipper.Sources;

/// <summary>
/// Saved file positions, so a restarted shipper resumes where the last one stopped instead of re-sending or skipping.
/// The file is small JSON (<c>{"files":[{"path":…,"inode":…,"offset":…,"fingerprint":…}]}</c>), replaced atomically: written beside
/// the target, flushed to disk, then renamed over it, so a crash leaves the old or the new state, never half of one.
/// </summary>
public sealed class PositionStore(string path)
{
    /// <summary>Where the positions are kept.</summary>
    public string Path { get; } = path;

    /// <summary>The saved positions by file path; empty when there is no (readable) state file.</summary>
    public IReadOnlyDictionary<string, FilePosition> Load()
    {
        var positions = new Dictionary<string, FilePosition>(StringComparer.Ordinal);
        if (!File.Exists(Path))
        {
            return positions;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(Path));
            foreach (var file in document.RootElement.GetProperty("files").EnumerateArray())
            {
                positions[file.GetProperty("path").GetString()!] = new FilePosition(file.GetProperty("inode").GetInt64(),
                    file.GetProperty("offset").GetInt64(), file.GetProperty("fingerprint").GetUInt64());
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // A damaged state file means starting the files from their beginning: duplicates, never a gap.
            positions.Clear();
        }

        return positions;
    }

    /// <summary>Replaces the saved positions with <paramref name="positions"/>.</summary>
    public void Save(IEnumerable<KeyValuePair<string, FilePosition>> positions)
    {
        var temporary = Path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartObject();
                writer.WriteStartArray("files");
                foreach (var (file, position) in positions)
                {
                    writer.WriteStartObject();
                    writer.WriteString("path", file);
                    writer.WriteNumber("inode", position.Identity);
                    writer.WriteNumber("offset", position.Offset);
                    writer.WriteNumber("fingerprint", position.Fingerprint);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path, overwrite: true);
    }
}
