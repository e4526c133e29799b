using System.Globalization;
using AlertPipeline.Shipper;
using AlertPipeline.Shipper.Send;
using AlertPipeline.Shipper.Sources;
using AlertPipeline.Shipper.Spool;

namespace AlertPipeline.Cli.Commands;

/// <summary>
/// <c>alertpipe ship</c>: the sandbox-host shipper. Builds a <see cref="TelemetryShipper"/> from the flags and pumps it until
/// stopped (or, with <c>--once</c>, until every file is read to its end); all behaviour lives in the Shipper project.
/// </summary>
internal sealed class ShipCommand(TextWriter stderr)
{
    public const string Usage = """
        usage: alertpipe ship [<file>...] [-] (--connection-string cs | --namespace ns --hub name) [options]

        Follows files (rotation and truncation included) and/or standard input ('-'), one telemetry record per line,
        and sends them to an Event Hub with the sandbox id as partition key. While the hub is unreachable, events
        are spooled to disk in order and drained when it answers; file positions survive restarts.

          --connection-string cs   Event Hubs connection string (default: $EventHubConnection)
          --namespace ns           namespace (name or host), authenticated with DefaultAzureCredential
          --hub name               event hub (or EntityPath in the connection string)
          --sandbox id             this host's sandbox: partition key, stamped into events lacking sandbox.id
                                   (default: each event's own sandbox.id)
          --spool dir              spool directory (default ./alertpipe-spool)
          --spool-max-bytes n      spool size cap, e.g. 268435456, 512M, 2G (default 256M); past it events are
                                   dropped, loudly, and counted
          --state file             saved file positions (default <spool>/positions.json)
          --heartbeat seconds      heartbeat interval, 0 for none (default 30)
          --poll ms                wait between reads when idle (default 250)
          --once                   stop at the end of the files (and of stdin) instead of following them

        The summary goes to stderr. Exit 0 when everything read was sent, 1 when events remain spooled or were
        dropped, 2 for bad arguments.
        """;

    private static readonly HashSet<string> ValueOptions =
        [.. HubConnection.Options, "sandbox", "spool", "spool-max-bytes", "state", "heartbeat", "poll"];

    private static readonly HashSet<string> Flags = ["once"];

    public async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var args = new CliArguments(arguments, ValueOptions, Flags);
        var hub = HubConnection.From(args);
        var files = args.Positionals.Where(p => p != "-").Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
        var useStdin = args.Positionals.Contains("-");
        if (files.Count == 0 && !useStdin)
        {
            throw new UsageException("name at least one file to follow, or '-' for standard input");
        }

        var spoolDirectory = args.Value("spool") ?? "alertpipe-spool";
        var spoolMax = ParseBytes(args.Value("spool-max-bytes") ?? "256M");
        var heartbeat = ParseInt(args.Value("heartbeat") ?? "30", "--heartbeat");
        var poll = TimeSpan.FromMilliseconds(Math.Max(10, ParseInt(args.Value("poll") ?? "250", "--poll")));
        var once = args.Has("once");
        var options = new ShipperOptions
        {
            SandboxId = args.Value("sandbox"),
            HeartbeatInterval = heartbeat > 0 ? TimeSpan.FromSeconds(heartbeat) : null,
            Version = typeof(ShipCommand).Assembly.GetName().Version?.ToString() ?? "0",
        };

        DiskSpool spool;
        try
        {
            spool = new DiskSpool(spoolDirectory, spoolMax);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot use spool directory {spoolDirectory}: {ex.Message}");
        }

        var positions = new PositionStore(args.Value("state") ?? Path.Combine(spoolDirectory, "positions.json"));
        var saved = positions.Load();
        List<ILineSource> sources = [.. files.Select(f => new FileSource(f, saved.TryGetValue(f, out var p) ? p : null, endIsEndOfLine: once))];
        StreamSource? stdin = null;
        if (useStdin)
        {
            sources.Add(stdin = new StreamSource(Console.OpenStandardInput()));
        }

        await using var producer = hub.CreateProducer();
        using var shipper = new TelemetryShipper(sources, new EventHubSender(producer), spool, positions, options, TimeProvider.System, stderr);
        await stderr.WriteLineAsync($"alertpipe ship: {files.Count} file(s){(useStdin ? " and stdin" : "")} to {hub.Describe()}, spool {spoolDirectory} (cap {spoolMax} bytes)").ConfigureAwait(false);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var read = await shipper.PumpAsync(cancellationToken).ConfigureAwait(false);
                if (once && read == 0 && (stdin is null || stdin.Finished) && (shipper.Idle || shipper.HubDown))
                {
                    break;
                }

                if (read == 0)
                {
                    await Task.Delay(poll, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped (Ctrl+C): positions were saved after the last completed step.
        }

        shipper.WriteSummary(stderr);
        if (!shipper.Idle)
        {
            await stderr.WriteLineAsync($"alertpipe ship: {shipper.SpoolBytes} bytes remain in the spool; the next run drains them first").ConfigureAwait(false);
        }

        return shipper.Idle && shipper.Counters.Dropped == 0 ? 0 : 1;
    }

    internal static long ParseBytes(string text)
    {
        if (text.Length == 0)
        {
            throw new UsageException("--spool-max-bytes needs a size (e.g. 512M)");
        }

        var multiplier = char.ToUpperInvariant(text[^1]) switch { 'K' => 1024L, 'M' => 1024L * 1024, 'G' => 1024L * 1024 * 1024, _ => 1L };
        var digits = multiplier == 1 ? text : text[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value * multiplier < 1024)
        {
            throw new UsageException($"--spool-max-bytes: '{text}' is not a size of at least 1024 bytes (e.g. 512M)");
        }

        return value * multiplier;
    }

    private static int ParseInt(string text, string option)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"{option}: '{text}' is not a whole number");
}
