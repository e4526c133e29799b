using System.Text;
using AlertPipeline.Shipper.Send;

namespace AlertPipeline.Shipper.Tests.Send;

public sealed class EventHubSenderTests
{
    private static OutgoingEvent Event(string key, int index, int size)
    {
        var text = $"{{\"n\":{index},\"pad\":\"";
        var body = text + new string('x', Math.Max(0, size - text.Length - 2)) + "\"}";
        return new OutgoingEvent(key, Encoding.UTF8.GetBytes(body), "test", index);
    }

    [Fact]
    public async Task A_full_batch_is_sent_and_a_new_one_started_at_the_size_limit()
    {
        var hub = new FakeHubProducer { MaxBatchBytes = 350 };
        var events = Enumerable.Range(0, 10).Select(i => Event("sbx-1", i, 100)).ToList();

        var result = await new EventHubSender(hub).SendAsync("sbx-1", events, CancellationToken.None);

        Assert.True(result.Complete);
        Assert.Equal(10, result.Settled);
        Assert.Equal(10, result.Sent);
        Assert.Equal(4, result.Batches);
        Assert.Equal(1000, result.Bytes);
        Assert.Equal([3, 3, 3, 1], hub.Sent.Select(b => b.Bodies.Count));
        Assert.All(hub.Sent, batch => Assert.Equal("sbx-1", batch.PartitionKey));
        Assert.Equal(events.Select(e => Encoding.UTF8.GetString(e.Body.Span)), hub.Events.Select(e => e.Body));
    }

    [Fact]
    public async Task An_event_larger_than_a_batch_is_skipped_and_reported_and_the_rest_keep_their_order()
    {
        var hub = new FakeHubProducer { MaxBatchBytes = 350 };
        List<OutgoingEvent> events = [Event("k", 0, 100), Event("k", 1, 100), Event("k", 2, 500), Event("k", 3, 100), Event("k", 4, 100)];

        var result = await new EventHubSender(hub).SendAsync("k", events, CancellationToken.None);

        Assert.True(result.Complete);
        Assert.Equal([2], result.Oversized);
        Assert.Equal(4, result.Sent);
        Assert.Equal(["0", "1", "3", "4"], hub.Events.Select(e => e.Body[5..6]));
    }

    [Fact]
    public async Task A_failed_send_reports_how_many_leading_events_were_settled()
    {
        var hub = new FakeHubProducer { MaxBatchBytes = 350, FailSendNumber = 1 };
        var events = Enumerable.Range(0, 8).Select(i => Event("k", i, 100)).ToList();

        var result = await new EventHubSender(hub).SendAsync("k", events, CancellationToken.None);

        Assert.False(result.Complete);
        Assert.Equal(3, result.Settled);
        Assert.Equal(3, result.Sent);
        Assert.IsType<Azure.Messaging.EventHubs.EventHubsException>(result.Failure);
    }

    [Fact]
    public async Task An_unreachable_hub_is_a_result_not_an_exception()
    {
        var hub = new FakeHubProducer { Down = true };

        var result = await new EventHubSender(hub).SendAsync("k", [Event("k", 0, 50)], CancellationToken.None);

        Assert.Equal(0, result.Settled);
        Assert.NotNull(result.Failure);
    }

    [Fact]
    public async Task Keys_are_sent_in_separate_batches_each_under_its_own_partition_key()
    {
        var hub = new FakeHubProducer();
        var sender = new PartitionedSender(new EventHubSender(hub));
        List<OutgoingEvent> events = [Event("a", 0, 40), Event("b", 1, 40), Event("a", 2, 40), Event("c", 3, 40), Event("b", 4, 40)];

        var failure = await sender.SendAsync(events, new bool[events.Count], CancellationToken.None);

        Assert.Null(failure);
        Assert.Equal(["a", "b", "c"], hub.Sent.Select(b => b.PartitionKey));
        Assert.Equal([2, 2, 1], hub.Sent.Select(b => b.Bodies.Count));
        Assert.Equal(2, sender.Totals.PerKey["a"].Sent);
        Assert.Equal(1, sender.Totals.PerKey["c"].Batches);
    }
}
