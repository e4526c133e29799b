using System.Globalization;
using AlertPipeline.Shipper.Inspect;
using Azure.Messaging.EventHubs.Consumer;

namespace AlertPipeline.Cli.Commands;

/// <summary><c>alertpipe tail</c>: prints a hub's events as the pipeline would parse them, for debugging producers.</summary>
internal sealed class TailCommand(TextWriter stdout, TextWriter stderr)
{
    public const string Usage = """
        usage: alertpipe tail (--connection-string cs | --namespace ns --hub name) [--consumer-group name] [--from-start] [--max n]

        Reads every partition of an Event Hub from a consumer group (default $Default; use one the pipeline does not
        use) and prints each event as the pipeline sees it: partition, sequence number, partition key, the format
        detected, the ECS fields of each parsed event, or the reason it would be rejected. New events only, unless
        --from-start. Stops after --max events or on Ctrl+C.
        """;

    private static readonly HashSet<string> ValueOptions = [.. HubConnection.Options, "consumer-group", "max"];

    private static readonly HashSet<string> Flags = ["from-start"];

    public async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var args = new CliArguments(arguments, ValueOptions, Flags);
        var hub = HubConnection.From(args);
        if (args.Positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        }

        long? max = args.Value("max") is { } text
            ? long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new UsageException("--max needs a positive number")
            : null;
        var group = args.Value("consumer-group") ?? EventHubConsumerClient.DefaultConsumerGroupName;

        await using var consumer = hub.CreateConsumer(group);
        var formatter = new TailFormatter();
        var hubName = consumer.EventHubName;
        await stderr.WriteLineAsync($"alertpipe tail: {hub.Describe()}, consumer group {group}{(args.Has("from-start") ? ", from the start" : ", new events")}").ConfigureAwait(false);
        long count = 0;
        try
        {
            await foreach (var partitionEvent in consumer.ReadEventsAsync(args.Has("from-start"), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                await stdout.WriteAsync(formatter.Format(hubName, partitionEvent.Partition.PartitionId, partitionEvent.Data)).ConfigureAwait(false);
                if (++count == max)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C ends the tail.
        }

        await stderr.WriteLineAsync($"alertpipe tail: {count} events").ConfigureAwait(false);
        return 0;
    }
}
