using System.Text;
using System.Text.Json;
using AlertPipeline.Functions.EventHubs;

namespace AlertPipeline.Functions.Tests.EventHubs;

/// <summary>Reading the host's batch binding data in each shape it can arrive in, and the fallbacks when it is missing.</summary>
public sealed class EventHubBatchTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly byte[][] TwoBodies = [Encoding.UTF8.GetBytes("{}"), Encoding.UTF8.GetBytes("[]")];

    [Fact]
    public void JsonText_GivesStreamSequencesAndTimes()
    {
        var source = EventHubBatch.ReadSource(new Dictionary<string, object?>
        {
            ["PartitionContext"] = """{"EventHubName":"hub-a","PartitionId":"12","ConsumerGroup":"cg"}""",
            ["SequenceNumberArray"] = "[41, 42]",
            ["EnqueuedTimeUtcArray"] = """["2025-11-14T03:20:00.25Z","2025-11-14T03:20:01"]""",
            ["OffsetArray"] = """["100", "200"]""",
        }, "fallback");

        var messages = EventHubBatch.ToMessages(TwoBodies, source, Now);

        Assert.Equal("hub-a/12", source.Stream);
        Assert.Equal(["100", "200"], source.Offsets!);
        Assert.Equal([41L, 42L], messages.Select(m => m.Sequence));
        Assert.Equal(new DateTimeOffset(2025, 11, 14, 3, 20, 0, 250, TimeSpan.Zero), messages[0].EnqueuedTime);
        Assert.Equal(new DateTimeOffset(2025, 11, 14, 3, 20, 1, TimeSpan.Zero), messages[1].EnqueuedTime); // no offset: UTC
        Assert.All(messages, m => Assert.Equal("hub-a/12", m.Stream));
        Assert.Equal("{}", Encoding.UTF8.GetString(messages[0].Body.Span)); // the body bytes, not a re-encoded copy
    }

    [Fact]
    public void TypedCollections_AreReadLikeJson()
    {
        var source = EventHubBatch.ReadSource(new Dictionary<string, object?>
        {
            ["partitioncontext"] = JsonDocument.Parse("""{"eventHubName":"hub-b","partitionId":"0"}""").RootElement,
            ["SequenceNumberArray"] = new long[] { 5, 6 },
            ["EnqueuedTimeUtcArray"] = new[] { new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc), new DateTime(2025, 1, 2, 3, 4, 6, DateTimeKind.Unspecified) },
            ["OffsetArray"] = new List<string> { "1", "2" },
        }, "fallback");

        var messages = EventHubBatch.ToMessages(TwoBodies, source, Now);

        Assert.Equal("hub-b/0", source.Stream);
        Assert.Equal([5L, 6L], messages.Select(m => m.Sequence));
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 6, TimeSpan.Zero), messages[1].EnqueuedTime);
    }

    [Fact]
    public void MissingBindingData_FallsBackToHubIndexAndNow()
    {
        var source = EventHubBatch.ReadSource(new Dictionary<string, object?>(), "configured-hub");

        var messages = EventHubBatch.ToMessages(TwoBodies, source, Now);

        Assert.Equal("configured-hub/unknown", source.Stream);
        Assert.Equal([0L, 1L], messages.Select(m => m.Sequence));
        Assert.All(messages, m => Assert.Equal(Now, m.EnqueuedTime));
    }

    [Theory]
    [InlineData("[7]")] // shorter than the batch: cannot be matched to the bodies
    [InlineData("[7, \"x\"]")] // an unreadable element
    [InlineData("not json")]
    public void UnusableSequenceArray_IsIgnoredWhole(string sequences)
    {
        var source = EventHubBatch.ReadSource(new Dictionary<string, object?>
        {
            ["PartitionContext"] = """{"EventHubName":"hub-c","PartitionId":"1"}""",
            ["SequenceNumberArray"] = sequences,
        }, "fallback");

        var messages = EventHubBatch.ToMessages(TwoBodies, source, Now);

        Assert.Equal([0L, 1L], messages.Select(m => m.Sequence));
    }

    [Fact]
    public void PartitionContextWithoutHubName_UsesTheFallbackHub()
    {
        var source = EventHubBatch.ReadSource(new Dictionary<string, object?> { ["PartitionContext"] = """{"PartitionId":"4"}""" }, "configured-hub");
        Assert.Equal("configured-hub/4", source.Stream);
    }
}
