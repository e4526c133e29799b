using System.Globalization;
using System.Text.Json;
using AlertPipeline.Adapters;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Cli.DeadLetters;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Respond;
using AlertPipeline.Shipper.Send;
using Azure.Messaging.EventHubs.Producer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Cli.Commands;

/// <summary><c>alertpipe deadletter list|replay</c>: what the pipeline rejected, and resubmitting it after a fix.</summary>
internal sealed class DeadLetterCommand(TextWriter stdout, TextWriter stderr, Func<HubConnection, IEventSender>? senders = null)
{
    public const string Usage = """
        usage: alertpipe deadletter list --storage <cs|https table URL> [--since <time|age>] [--reason <code>] [--max <n>] [--output text|json]
               alertpipe deadletter replay --storage <cs|https table URL> (--id <id>[,<id>...] | --since <time|age>) [--reason <code>]
                                           [--connection-string cs | --namespace ns] [--hub name] [--force] [--dry-run]

        list: the dead letters of Table 'deadletters', oldest first: id, enqueued time, hub/partition, sequence.record,
        offset, reason, format (and the format it resembled), payload size, replays. --since takes an ISO 8601 time or an
        age such as 30m, 6h, 2d, and compares the message's enqueued time. --output json prints one object per line.

        replay: sends each selected dead letter's full payload (read from blob storage when it was large) to the Event
        Hub it came from (--hub overrides), under its original stream as partition key, and marks it replayed (time and
        count). A letter already replayed is skipped unless --force. --dry-run only says what would be sent. The hub
        connection is --connection-string (or $EventHubConnection) or --namespace with the signed-in identity.
        Exit 0 when every letter was sent (or skipped as already replayed), 1 when any failed or had no hub, 2 for bad arguments.
        """;

    private static readonly HashSet<string> ValueOptions = ["storage", "since", "reason", "max", "output", "id", "connection-string", "namespace", "hub"];
    private static readonly HashSet<string> Flags = ["force", "dry-run"];
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default };

    public async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var args = new CliArguments(arguments, ValueOptions, Flags);
        var storage = args.Value("storage") ?? throw new UsageException("--storage <connection string|https table URL> is required");
        var since = args.Value("since") is { } text ? ParseSince(text) : (DateTimeOffset?)null;
        var reason = args.Value("reason");
        await using var services = new ServiceCollection().AddAlertPipeline(StorageConfiguration(storage)).BuildServiceProvider();
        var store = services.GetRequiredService<IDeadLetterStore>();
        return args.Positionals switch
        {
            ["list"] => await ListAsync(store, new DeadLetterQuery(since, reason, ParseMax(args.Value("max"))), args.Value("output") ?? "text", cancellationToken).ConfigureAwait(false),
            ["replay"] => await ReplayAsync(store, args, since, reason, services.GetRequiredService<TimeProvider>(), cancellationToken).ConfigureAwait(false),
            _ => throw new UsageException("expected: deadletter list | deadletter replay"),
        };
    }

    /// <summary>The storage configuration of the rules commands, plus the blob endpoint that goes with an https Table URL.</summary>
    internal static IConfiguration StorageConfiguration(string storage)
    {
        var configuration = RulesCommand.StorageConfiguration(storage);
        if (configuration[$"{StorageNames.Setting}:{StorageClients.TableServiceUriKey}"] is { } table
            && Uri.TryCreate(table, UriKind.Absolute, out var uri) && uri.Host.Contains(".table.", StringComparison.OrdinalIgnoreCase))
        {
            var blob = new UriBuilder(uri) { Host = uri.Host.Replace(".table.", ".blob.", StringComparison.OrdinalIgnoreCase) }.Uri.ToString();
            configuration[$"{StorageNames.Setting}:{StorageClients.BlobServiceUriKey}"] = blob;
        }

        return configuration;
    }

    private async Task<int> ListAsync(IDeadLetterStore store, DeadLetterQuery query, string output, CancellationToken cancellationToken)
    {
        if (output is not ("text" or "json"))
        {
            throw new UsageException("--output must be text or json");
        }

        var letters = await store.ListAsync(query, cancellationToken).ConfigureAwait(false);
        foreach (var letter in letters)
        {
            await stdout.WriteLineAsync(output == "json" ? JsonLine(letter) : TextLine(letter)).ConfigureAwait(false);
        }

        await stderr.WriteLineAsync($"{letters.Count} dead letters").ConfigureAwait(false);
        return 0;
    }

    private async Task<int> ReplayAsync(IDeadLetterStore store, CliArguments args, DateTimeOffset? since, string? reason, TimeProvider time, CancellationToken cancellationToken)
    {
        var ids = args.Value("id")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if ((ids is null) == (since is null))
        {
            throw new UsageException("replay needs either --id or --since (not both), so nothing is resubmitted by accident");
        }

        var dryRun = args.Has("dry-run");
        var connection = dryRun ? null : Connection(args);
        var letters = new List<DeadLetter>();
        var outcomes = new List<ReplayOutcome>();
        if (ids is not null)
        {
            foreach (var id in ids)
            {
                if (await store.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } letter)
                {
                    letters.Add(letter);
                }
                else
                {
                    outcomes.Add(new ReplayOutcome(id, "failed", "no such dead letter"));
                }
            }
        }
        else
        {
            letters.AddRange(await store.ListAsync(new DeadLetterQuery(since, reason, int.MaxValue), cancellationToken).ConfigureAwait(false));
        }

        var producers = new Dictionary<string, (EventHubProducerClient? Producer, IEventSender Sender)>(StringComparer.Ordinal);
        try
        {
            var replayer = new DeadLetterReplayer(store, hub => SenderFor(hub, connection!, producers), time);
            outcomes.AddRange(await replayer.ReplayAsync(letters, args.Value("hub"), args.Has("force"), dryRun, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            foreach (var (producer, _) in producers.Values)
            {
                if (producer is not null)
                {
                    await producer.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        foreach (var outcome in outcomes)
        {
            await stdout.WriteLineAsync($"{outcome.Outcome} {SafeText.Clean(outcome.Id, 64)}: {SafeText.Clean(outcome.Detail, 300)}").ConfigureAwait(false);
        }

        var count = (string what) => outcomes.Count(o => o.Outcome == what);
        await stderr.WriteLineAsync($"{count("sent")} sent, {count("would-send")} would be sent, {count("skipped")} skipped, {count("failed")} failed").ConfigureAwait(false);
        var unsettled = outcomes.Any(o => o.Outcome == "failed" || (o.Outcome == "skipped" && !o.Detail.StartsWith("already replayed", StringComparison.Ordinal)));
        return unsettled ? 1 : 0;
    }

    private IEventSender SenderFor(string hub, HubConnection connection, Dictionary<string, (EventHubProducerClient?, IEventSender Sender)> producers)
    {
        if (producers.TryGetValue(hub, out var existing))
        {
            return existing.Sender;
        }

        var target = connection with { Hub = hub };
        if (senders is not null)
        {
            var sender = senders(target);
            producers[hub] = (null, sender);
            return sender;
        }

        var producer = target.CreateProducer();
        producers[hub] = (producer, new EventHubSender(producer));
        return producers[hub].Item2;
    }

    private static HubConnection Connection(CliArguments args)
    {
        var ns = args.Value("namespace");
        var connectionString = ns is null ? args.Value("connection-string") ?? Environment.GetEnvironmentVariable(HubConnection.EnvironmentVariable) : args.Value("connection-string");
        if (string.IsNullOrEmpty(connectionString) == string.IsNullOrEmpty(ns))
        {
            throw new UsageException($"replay needs either --connection-string (or ${HubConnection.EnvironmentVariable}) or --namespace, not both (or --dry-run)");
        }

        return new HubConnection(connectionString, ns, null);
    }

    internal static DateTimeOffset ParseSince(string text, DateTimeOffset? now = null)
    {
        if (text.Length > 1 && char.IsAsciiDigit(text[0]) && text[^1] is 'm' or 'h' or 'd'
            && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            var age = text[^1] switch { 'm' => TimeSpan.FromMinutes(amount), 'h' => TimeSpan.FromHours(amount), _ => TimeSpan.FromDays(amount) };
            return (now ?? DateTimeOffset.UtcNow) - age;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new UsageException($"--since '{text}' is neither an ISO 8601 time nor an age such as 30m, 6h, 2d");
    }

    private static int ParseMax(string? text)
        => text is null ? 1000 : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var max) && max > 0 ? max : throw new UsageException("--max must be a positive number");

    private static string TextLine(DeadLetter letter)
    {
        var r = letter.Rejected;
        var source = r.Hub is null ? SafeText.Clean(r.Position.Stream, 80) : $"{SafeText.Clean(r.Hub, 64)}/{SafeText.Clean(r.PartitionId, 16)}";
        var format = r.FormatGuess is null ? SafeText.Clean(r.Format, 32) : $"{SafeText.Clean(r.Format, 32)}~{SafeText.Clean(r.FormatGuess, 32)}";
        var replayed = letter.ReplayCount == 0 ? "-" : $"replayed {letter.ReplayCount}x {letter.ReplayedAt:O}";
        var payload = letter.PayloadComplete ? $"{letter.PayloadLength}B" : $"{letter.PayloadLength}B(partial)";
        return string.Create(CultureInfo.InvariantCulture,
            $"{letter.Id}  {(r.EnqueuedTime ?? letter.ReceivedTime):O}  {source}  #{r.Position.Sequence}.{r.Position.Record}  @{SafeText.Clean(r.Offset ?? "-", 24)}  {SafeText.Clean(r.Reason, 64)}  {format}  {payload}  {replayed}");
    }

    private static string JsonLine(DeadLetter letter)
    {
        var r = letter.Rejected;
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = letter.Id,
            ["hub"] = r.Hub,
            ["partitionId"] = r.PartitionId,
            ["offset"] = r.Offset,
            ["stream"] = r.Position.Stream,
            ["sequence"] = r.Position.Sequence,
            ["record"] = r.Position.Record,
            ["enqueuedTime"] = r.EnqueuedTime,
            ["receivedTime"] = letter.ReceivedTime,
            ["format"] = r.Format,
            ["formatGuess"] = r.FormatGuess,
            ["reason"] = r.Reason,
            ["detail"] = r.Detail,
            ["excerpt"] = r.Excerpt,
            ["payloadLength"] = letter.PayloadLength,
            ["payloadComplete"] = letter.PayloadComplete,
            ["payloadBlob"] = letter.PayloadBlob,
            ["replayedAt"] = letter.ReplayedAt,
            ["replayCount"] = letter.ReplayCount,
        }, Json);
    }
}
