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

    /// <summary>Every field event <paramref name="index"/> carries, by ECS name (compared field by field, nothing extra).</summary>
    public static SortedDictionary<string, string> Fields(this EventBatch batch, int index)
    {
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var definition in EcsFields.All)
        {
            if (batch.Has(index, definition.Field))
            {
                fields[definition.Name] = new string(batch.Get(index, definition.Field));
            }
        }

        return fields;
    }

    /// <summary>Asserts that event <paramref name="index"/> carries exactly <paramref name="expected"/>.</summary>
    public static void AssertFields(this EventBatch batch, int index, IDictionary<string, string> expected)
        => Assert.Equal(new SortedDictionary<string, string>(expected, StringComparer.Ordinal), batch.Fields(index));

    public static SourcePosition At(int record, long sequence = 7) => new(StreamName, sequence, record);
}
