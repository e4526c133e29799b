using AlertPipeline.Core.Events;

namespace AlertPipeline.Cli.Replay;

/// <summary>
/// Turns recorded telemetry files into transport messages, as an Event Hub would deliver them:
/// in a <c>.jsonl</c>/<c>.ndjson</c> file every non-empty line is one message body; any other file is one body.
/// The stream is the file's path and the sequence its line number, so re-running a file is a redelivery.
/// </summary>
internal static class ReplayFiles
{
    public static IReadOnlyList<TelemetryMessage> Read(string path, DateTimeOffset enqueuedTime)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new Commands.UsageException($"cannot read {path}: {ex.Message}");
        }

        var messages = new List<TelemetryMessage>();
        var isLines = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);
        if (!isLines)
        {
            messages.Add(new TelemetryMessage(content, path, 1, enqueuedTime));
            return messages;
        }

        ReadOnlyMemory<byte> memory = content;
        var line = 0;
        while (!memory.IsEmpty)
        {
            line++;
            var end = memory.Span.IndexOf((byte)'\n');
            var body = end < 0 ? memory : memory[..end];
            memory = end < 0 ? ReadOnlyMemory<byte>.Empty : memory[(end + 1)..];
            if (body.Span.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            messages.Add(new TelemetryMessage(body, path, line, enqueuedTime));
        }

        return messages;
    }
}
