namespace AlertPipeline.Core.Respond.Shutdown;

/// <summary>Where signed shutdown commands go: an Azure Storage queue per sandbox host, or memory in the embedded mode.</summary>
public interface IShutdownCommandQueue
{
    /// <summary>Puts <paramref name="messageJson"/> on <paramref name="queueName"/>.</summary>
    Task EnqueueAsync(string queueName, string messageJson, CancellationToken cancellationToken);
}

/// <summary>The embedded-mode twin: keeps messages so the CLI can print them and tests can read them.</summary>
public sealed class InMemoryShutdownCommandQueue : IShutdownCommandQueue
{
    private readonly List<(string Queue, string Message)> _messages = [];

    /// <summary>Every message enqueued, in order.</summary>
    public IReadOnlyList<(string Queue, string Message)> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    /// <inheritdoc />
    public Task EnqueueAsync(string queueName, string messageJson, CancellationToken cancellationToken)
    {
        lock (_messages)
        {
            _messages.Add((queueName, messageJson));
        }

        return Task.CompletedTask;
    }
}
