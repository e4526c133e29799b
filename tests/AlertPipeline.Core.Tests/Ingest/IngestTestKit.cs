using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;

namespace AlertPipeline.Core.Tests.Ingest;

/// <summary>Runs a format over a body and reads the results back as strings.</summary>
internal static class IngestTestKit
{
    public const string StreamName = "test-hub/0";

    public static EventBatch Parse(ITelemetryFormat format, string body, long sequence = 7)
        => Parse(format, Encoding.UTF8.GetBytes(body), sequence);

    public static EventBatch Parse(ITelemetryFormat format, byte[] body, long sequence = 7)
    {
        var batch = new EventBatch(4);
        format.Parse(new TelemetryMessage(body, StreamName, sequence, DateTimeOffset.UnixEpoch), batch);
        Assert.False(batch.HasOpenEvent);
        return batch;
    }

    public static string? Value(this EventBatch batch, int index, EcsField field) => batch.GetString(index, field);

    public static byte[] Sample(string relativePath)
        => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Ingest", "Formats", "Samples", relativePath));

    public static SourcePosition At(int record, long sequence = 7) => new(StreamName, sequence, record);
}
