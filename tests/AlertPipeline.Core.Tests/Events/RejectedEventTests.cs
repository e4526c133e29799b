using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;

namespace AlertPipeline.Core.Tests.Events;

public sealed class RejectedEventTests
{
    [Theory]
    [InlineData("abcdef", 4, "abcd")]
    [InlineData("ab漢", 4, "ab")]      // 漢 is three bytes: a cut inside it moves before it
    [InlineData("ab漢", 5, "ab漢")]
    [InlineData("a😀b", 4, "a")]       // four bytes, two UTF-16 chars: never half a pair
    [InlineData("a😀b", 5, "a😀")]
    [InlineData("", 0, "")]
    public void Utf8_prefix_never_ends_inside_a_character(string text, int max, string expected)
    {
        var cut = Utf8Cut.Prefix(Encoding.UTF8.GetBytes(text), max);

        Assert.Equal(expected, Encoding.UTF8.GetString(cut));
    }

    [Fact]
    public void Utf8_prefix_of_invalid_input_still_respects_the_limit()
    {
        byte[] garbage = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80];

        Assert.InRange(Utf8Cut.Prefix(garbage, 5).Length, 2, 5);
    }

    [Fact]
    public void Excerpt_of_a_long_multibyte_input_has_no_replacement_character_or_lone_surrogate()
    {
        var input = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("x😀", 1000)));

        var excerpt = RejectedEvent.ExcerptOf(input);

        Assert.EndsWith("…", excerpt, StringComparison.Ordinal);
        Assert.DoesNotContain('\uFFFD', excerpt);
        Assert.True(Encoding.UTF8.GetByteCount(excerpt[..^1]) <= RejectedEvent.MaxExcerptBytes);
        for (var i = 0; i < excerpt.Length; i++)
        {
            Assert.False(char.IsHighSurrogate(excerpt[i]) && (i + 1 == excerpt.Length || !char.IsLowSurrogate(excerpt[i + 1])), $"lone surrogate at {i}");
        }
    }

    [Fact]
    public void The_ingestor_stamps_the_transport_origin_and_the_whole_payload_on_each_reject()
    {
        var body = Encoding.UTF8.GetBytes("{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"kind\":\"event\"}}\n{\"broken\":\n");
        var enqueued = new DateTimeOffset(2026, 1, 1, 0, 0, 5, TimeSpan.Zero);
        var batch = new EventBatch();

        new TelemetryIngestor().Ingest(new TelemetryMessage(body, "sandbox-telemetry/2", 77, enqueued, "sandbox-telemetry", "2", "123456"), batch);

        var reject = Assert.Single(batch.Rejects);
        Assert.Equal(new SourcePosition("sandbox-telemetry/2", 77, 1), reject.Position);
        Assert.Equal("sandbox-telemetry", reject.Hub);
        Assert.Equal("2", reject.PartitionId);
        Assert.Equal("123456", reject.Offset);
        Assert.Equal(enqueued, reject.EnqueuedTime);
        Assert.StartsWith("{\"broken\":", Encoding.UTF8.GetString(reject.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_body_is_rejected_with_its_whole_payload_even_past_the_excerpt_limit()
    {
        var body = Encoding.UTF8.GetBytes("garbage " + new string('g', 5000));
        var batch = new EventBatch();

        new TelemetryIngestor().Ingest(new TelemetryMessage(body, "hub/0", 1, DateTimeOffset.UnixEpoch, "hub", "0", "0"), batch);

        var reject = Assert.Single(batch.Rejects);
        Assert.Equal("unknown-format", reject.Reason);
        Assert.Equal(body, reject.Payload.ToArray());
        Assert.Equal("hub", reject.Hub);
    }
}
