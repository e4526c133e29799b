using AlertPipeline.Core.Respond;
using AlertPipeline.Shipper.Send;

namespace AlertPipeline.Cli.Commands;

/// <summary><c>alertpipe send</c>: sends recorded telemetry files to a hub (the deployment smoke test).</summary>
internal sealed class SendCommand(TextWriter stdout, TextWriter stderr)
{
    public const string Usage = """
        usage: alertpipe send <file>... (--connection-string cs | --namespace ns --hub name) [--sandbox id]

        Sends recorded telemetry (e.g. samples/rome-incident/*.jsonl) to an Event Hub: '.jsonl'/'.ndjson' files one
        event per line, other files one event each, the sandbox id as partition key. Progress goes to stderr, the
        summary (sent, bytes, batches, per partition key) to stdout. Exit 0 when all was sent, 1 when the hub
        failed, 2 for bad arguments or an unreadable file.
        """;

    private static readonly HashSet<string> ValueOptions = [.. HubConnection.Options, "sandbox"];

    public async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var args = new CliArguments(arguments, ValueOptions, new HashSet<string>());
        var hub = HubConnection.From(args);
        if (args.Positionals.Count == 0)
        {
            throw new UsageException("name at least one file to send");
        }

        foreach (var path in args.Positionals.Where(p => !File.Exists(p)))
        {
            throw new UsageException($"cannot read {path}: no such file");
        }

        await using var producer = hub.CreateProducer();
        var sender = new RecordedTelemetrySender(new EventHubSender(producer), args.Value("sandbox"))
        {
            OnOversized = e => stderr.WriteLine($"alertpipe send: skipped {SafeText.Clean(e.ToString(), 300)} ({e.Body.Length} bytes): larger than the hub's batch size limit"),
        };

        var failure = await sender.SendAsync(args.Positionals, (done, total) => stderr.Write(Progress(done, total)), cancellationToken).ConfigureAwait(false);
        await stderr.WriteLineAsync().ConfigureAwait(false);
        return await WriteSummaryAsync(stdout, stderr, hub.Describe(), sender, failure).ConfigureAwait(false);
    }

    internal static string Progress(long done, long total)
    {
        const int width = 30;
        var filled = total == 0 ? width : (int)(done * width / total);
        return $"\rsending [{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} events";
    }

    internal static async Task<int> WriteSummaryAsync(TextWriter stdout, TextWriter stderr, string target, RecordedTelemetrySender sender, Exception? failure)
    {
        var totals = sender.Totals;
        await stdout.WriteLineAsync($"sent {totals.Sent} of {sender.Read} events to {target}: {totals.Bytes} bytes in {totals.Batches} batches, {totals.Oversized} skipped as oversized").ConfigureAwait(false);
        foreach (var (key, keyTotals) in totals.PerKey.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            await stdout.WriteLineAsync($"  {SafeText.Clean(key, 128)}: {keyTotals.Sent} events, {keyTotals.Bytes} bytes, {keyTotals.Batches} batches").ConfigureAwait(false);
        }

        if (failure is null)
        {
            return 0;
        }

        await stderr.WriteLineAsync($"alertpipe send: the hub failed: {SafeText.Clean(failure.Message, 300)}").ConfigureAwait(false);
        return 1;
    }
}
