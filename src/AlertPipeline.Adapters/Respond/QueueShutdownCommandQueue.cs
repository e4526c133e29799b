using System.Collections.Concurrent;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Respond.Shutdown;
using Azure.Storage.Queues;

namespace AlertPipeline.Adapters.Respond;

/// <summary>
/// Puts signed shutdown commands on Azure Storage queues, one queue per sandbox host (default
/// <see cref="StorageNames.ShutdownCommandQueue"/>). Queues are created on first use. Message text is Base64-encoded on
/// the wire, which the Functions queue trigger and the host agents expect: that encoding is a property of the client,
/// so pass a <see cref="QueueServiceClient"/> from <see cref="StorageClients.CreateQueueServiceClient"/> (or one built with
/// <see cref="QueueClientOptions.MessageEncoding"/> = <see cref="QueueMessageEncoding.Base64"/>).
/// </summary>
public sealed class QueueShutdownCommandQueue : IShutdownCommandQueue
{
    private readonly QueueServiceClient _service;
    private readonly ConcurrentDictionary<string, (QueueClient Client, CreateOnce Created)> _queues = new(StringComparer.Ordinal);

    /// <summary>Sends through <paramref name="service"/>, which must encode messages as Base64.</summary>
    public QueueShutdownCommandQueue(QueueServiceClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _service = service;
    }

    /// <inheritdoc />
    public async Task EnqueueAsync(string queueName, string messageJson, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueName);
        ArgumentNullException.ThrowIfNull(messageJson);
        var (client, created) = _queues.GetOrAdd(queueName, name =>
        {
            var queue = _service.GetQueueClient(name);
            return (queue, new CreateOnce(ct => queue.CreateIfNotExistsAsync(cancellationToken: ct)));
        });
        await created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await client.SendMessageAsync(messageJson, cancellationToken).ConfigureAwait(false);
    }
}
