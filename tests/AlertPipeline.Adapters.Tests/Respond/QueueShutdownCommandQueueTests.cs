using System.Text;
using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Tests.Storage;
using Azure.Storage.Queues;

namespace AlertPipeline.Adapters.Tests.Respond;

/// <summary><see cref="QueueShutdownCommandQueue"/> against Azurite, read back the way a host agent reads.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class QueueShutdownCommandQueueTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Enqueued_commands_arrive_base64_encoded_on_a_queue_created_on_demand()
    {
        var queueName = AzuriteFixture.UniqueQueueName("cmds");
        var commands = new QueueShutdownCommandQueue(azurite.QueueService);
        const string first = """{"command":"shutdown","sandboxId":"sbx-42","reason":"ünïcode ✓"}""";
        const string second = """{"command":"shutdown","sandboxId":"sbx-43"}""";

        await commands.EnqueueAsync(queueName, first, CancellationToken.None);
        await commands.EnqueueAsync(queueName, second, CancellationToken.None);

        // A plain client (no decoding) sees what is on the wire.
        var raw = new QueueClient(azurite.ConnectionString, queueName);
        var messages = (await raw.ReceiveMessagesAsync(maxMessages: 10)).Value;

        Assert.Equal(2, messages.Length);
        var bodies = messages.Select(m => m.Body.ToString()).ToList();
        Assert.All(bodies, b => Assert.DoesNotContain("{", b, StringComparison.Ordinal));
        Assert.Equal(
            new[] { first, second }.Order(StringComparer.Ordinal),
            bodies.Select(b => Encoding.UTF8.GetString(Convert.FromBase64String(b))).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Each_queue_name_gets_its_own_queue()
    {
        var a = AzuriteFixture.UniqueQueueName("host-a");
        var b = AzuriteFixture.UniqueQueueName("host-b");
        var commands = new QueueShutdownCommandQueue(azurite.QueueService);

        await commands.EnqueueAsync(a, "{\"n\":1}", CancellationToken.None);
        await commands.EnqueueAsync(b, "{\"n\":2}", CancellationToken.None);
        await commands.EnqueueAsync(b, "{\"n\":3}", CancellationToken.None);

        Assert.Equal(1, (await azurite.QueueService.GetQueueClient(a).GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Equal(2, (await azurite.QueueService.GetQueueClient(b).GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task An_invalid_queue_name_surfaces_as_an_exception()
    {
        var commands = new QueueShutdownCommandQueue(azurite.QueueService);

        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => commands.EnqueueAsync("Not_A_Valid_Queue", "{}", CancellationToken.None));
    }
}
