using Azure.Identity;
using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Consumer;
using Azure.Messaging.EventHubs.Producer;

namespace AlertPipeline.Cli.Commands;

/// <summary>
/// Where the hub commands connect: a connection string (<c>--connection-string</c>, else the <c>EventHubConnection</c>
/// environment variable, the app setting's name) or a namespace with <see cref="DefaultAzureCredential"/>
/// (<c>--namespace</c>). The hub comes from <c>--hub</c> or the connection string's <c>EntityPath</c>.
/// </summary>
internal sealed record HubConnection(string? ConnectionString, string? Namespace, string? Hub)
{
    public const string EnvironmentVariable = "EventHubConnection";

    public static readonly string[] Options = ["connection-string", "namespace", "hub"];

    public static HubConnection From(CliArguments args)
    {
        var connectionString = args.Value("connection-string") ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        var ns = args.Value("namespace");
        var hub = args.Value("hub");
        if (args.Has("namespace"))
        {
            // An explicit namespace means identity, even where the environment holds a connection string.
            connectionString = args.Value("connection-string");
        }

        if (string.IsNullOrEmpty(connectionString) == string.IsNullOrEmpty(ns))
        {
            throw new UsageException($"give either --connection-string (or ${EnvironmentVariable}) or --namespace, not both and not neither");
        }

        if (ns is not null && string.IsNullOrEmpty(hub))
        {
            throw new UsageException("--namespace needs --hub");
        }

        if (connectionString is not null && string.IsNullOrEmpty(hub)
            && !connectionString.Contains("EntityPath=", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException("give --hub, or a connection string with EntityPath");
        }

        return new HubConnection(connectionString, ns, hub);
    }

    /// <summary>Hub name for reports (never the connection string: it holds a key).</summary>
    public string Describe() => Namespace is null ? $"hub {Hub ?? "(EntityPath)"}" : $"{Namespace}/{Hub}";

    public EventHubProducerClient CreateProducer()
    {
        // Few, short tries per call: ship has its own backoff and spool, and send should fail fast and say why.
        var options = new EventHubProducerClientOptions
        {
            RetryOptions = new EventHubsRetryOptions { MaximumRetries = 2, TryTimeout = TimeSpan.FromSeconds(30), MaximumDelay = TimeSpan.FromSeconds(5) },
        };
        return ConnectionString is not null
            ? new EventHubProducerClient(ConnectionString, Hub, options)
            : new EventHubProducerClient(FullyQualified(Namespace!), Hub, new DefaultAzureCredential(), options);
    }

    public EventHubConsumerClient CreateConsumer(string consumerGroup)
        => ConnectionString is not null
            ? new EventHubConsumerClient(consumerGroup, ConnectionString, Hub)
            : new EventHubConsumerClient(consumerGroup, FullyQualified(Namespace!), Hub, new DefaultAzureCredential());

    private static string FullyQualified(string ns) => ns.Contains('.', StringComparison.Ordinal) ? ns : ns + ".servicebus.windows.net";
}
