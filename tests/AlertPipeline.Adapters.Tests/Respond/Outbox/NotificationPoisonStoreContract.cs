using System.Text;
using AlertPipeline.Adapters.Respond.Outbox;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Respond.Outbox;
using Azure.Storage.Queues;

namespace AlertPipeline.Adapters.Tests.Respond.Outbox;

/// <summary>What every <see cref="INotificationPoisonStore"/> must do; run against the in-memory twin and Table Storage.</summary>
public abstract class NotificationPoisonStoreContract
{
    private static readonly DateTimeOffset At = new(2025, 11, 14, 3, 21, 0, TimeSpan.Zero);

    /// <summary>A fresh, empty store.</summary>
    protected abstract INotificationPoisonStore Store { get; }

    [Fact]
    public async Task Keeps_the_message_reason_and_time_per_alert()
    {
        await Store.AddAsync(new PoisonedNotification(new NotificationMessage("a1", "email", 5), "HTTP 503 (retryable)", At), CancellationToken.None);
        await Store.AddAsync(new PoisonedNotification(new NotificationMessage("a1", "teams", 1), "HTTP 400 (not retryable)", At), CancellationToken.None);
        await Store.AddAsync(new PoisonedNotification(new NotificationMessage("a2", "email", 1), "other", At), CancellationToken.None);

        var list = await Store.ListAsync("a1", CancellationToken.None);

        Assert.Equal(
            [new PoisonedNotification(new NotificationMessage("a1", "email", 5), "HTTP 503 (retryable)", At),
             new PoisonedNotification(new NotificationMessage("a1", "teams", 1), "HTTP 400 (not retryable)", At)],
            list.OrderBy(p => p.Message.Channel, StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_same_alert_and_channel_again_replaces_instead_of_duplicating()
    {
        await Store.AddAsync(new PoisonedNotification(new NotificationMessage("a1", "email", 3), "first", At), CancellationToken.None);
        await Store.AddAsync(new PoisonedNotification(new NotificationMessage("a1", "email", 5), "second", At.AddMinutes(1)), CancellationToken.None);

        var only = Assert.Single(await Store.ListAsync("a1", CancellationToken.None));
        Assert.Equal(("second", 5), (only.Reason, only.Message.Delivery));
    }

    [Fact]
    public async Task An_unknown_alert_has_none()
        => Assert.Empty(await Store.ListAsync("nope", CancellationToken.None));
}

/// <summary>The contract against <see cref="InMemoryNotificationPoisonStore"/>.</summary>
public sealed class InMemoryNotificationPoisonStoreTests : NotificationPoisonStoreContract
{
    protected override INotificationPoisonStore Store { get; } = new InMemoryNotificationPoisonStore();
}

/// <summary>The contract against <see cref="TableNotificationPoisonStore"/> on Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableNotificationPoisonStoreTests(AzuriteFixture azurite) : NotificationPoisonStoreContract
{
    private TableNotificationPoisonStore? _store;

    protected override INotificationPoisonStore Store => _store ??= new TableNotificationPoisonStore(azurite.TableService, AzuriteFixture.UniqueTableName("poison"));
}

/// <summary><see cref="QueueNotificationOutbox"/> on Azurite, read back as the queue trigger reads.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class QueueNotificationOutboxTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_message_arrives_base64_encoded_and_parses_back()
    {
        var name = AzuriteFixture.UniqueQueueName("notify");
        var outbox = new QueueNotificationOutbox(azurite.QueueService, name);

        await outbox.EnqueueAsync(new NotificationMessage("a1", "teams", 2), TimeSpan.Zero, CancellationToken.None);

        var raw = new QueueClient(azurite.ConnectionString, name);
        var received = Assert.Single((await raw.ReceiveMessagesAsync(maxMessages: 10)).Value);
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(received.Body.ToString()));
        Assert.Equal(new NotificationMessage("a1", "teams", 2), NotificationMessage.TryParse(text, out _));
    }

    [Fact]
    public async Task A_delayed_retry_is_invisible_until_its_time()
    {
        var name = AzuriteFixture.UniqueQueueName("notify");
        var outbox = new QueueNotificationOutbox(azurite.QueueService, name);

        await outbox.EnqueueAsync(new NotificationMessage("a1", "email", 3), TimeSpan.FromMinutes(10), CancellationToken.None);

        var queue = azurite.QueueService.GetQueueClient(name);
        Assert.Equal(1, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Empty((await queue.ReceiveMessagesAsync(maxMessages: 10)).Value);
    }
}
