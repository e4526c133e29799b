using AlertPipeline.Adapters.Storage;
using AlertPipeline.Cli.Controller;
using AlertPipeline.Core.Respond.Shutdown;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace AlertPipeline.Cli.Commands;

/// <summary><c>alertpipe controller</c>: the reference sandbox controller a sandbox host runs.</summary>
internal sealed class ControllerCommand(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? environment = null, TimeProvider? time = null)
{
    public const string Usage = """
        usage: alertpipe controller --hook <template> [--storage <connection string>] [--queue <name>] [--results <name>]
                                    [--state <file>] [--hook-timeout <seconds>] [--poll <seconds>] [--once]

        Reads signed commands (shutdown, isolate-network, suspend) from the host's queue, verifies signature, expiry
        and nonce, runs the hook and reports each outcome (rejections included, with the reason) to the results queue.
          --hook         command run per accepted command, without a shell; {sandboxId} {action} {commandId} {alertId}
                         are replaced, e.g. "docker stop {sandboxId}"
          --storage      queue storage (default: AlertStorage from the environment)
          --queue        command queue (default sandbox-commands)
          --results      results queue (default sandbox-command-results)
          --state        file of nonces and command ids already executed (default ./alertpipe-controller.state)
          --once         handle what is queued now, then exit (default: keep polling)
        keys from the environment: Shutdown__SigningKey, Shutdown__KeyId (default k1), Shutdown__Keys__<keyId> (retired keys);
        results are signed with this host's Controller__ResultKey (base64, 32+ bytes) under Controller__ResultKeyId,
        which the pipeline knows as Controller__ResultKeys__<keyId>
        exit 0 when stopped, 2 for bad arguments or missing keys
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, new HashSet<string> { "hook", "storage", "queue", "results", "state", "hook-timeout", "poll" }, new HashSet<string> { "once" });
        var template = parsed.Value("hook") ?? throw new UsageException("--hook is required");
        var hook = SandboxController.SplitTemplate(template);
        if (hook.Count == 0)
        {
            throw new UsageException("--hook is empty");
        }

        var settings = new ConfigurationBuilder().AddInMemoryCollection(
            (environment ?? Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .ToDictionary(e => (string)e.Key, e => e.Value as string))
            .Select(e => new KeyValuePair<string, string?>(e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value))).Build();
        var key = settings["Shutdown:SigningKey"] ?? throw new UsageException("Shutdown__SigningKey is not set");
        var retired = settings.GetSection("Shutdown:Keys").GetChildren().Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal);
        var clock = time ?? TimeProvider.System;
        CommandSigner signer;
        try
        {
            signer = new CommandSigner(key, settings["Shutdown:KeyId"] ?? "k1", clock, retired);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }

        var resultKey = settings["Controller:ResultKey"] ?? throw new UsageException("Controller__ResultKey is not set (this host's result signing key)");
        var resultKeyId = settings["Controller:ResultKeyId"] ?? throw new UsageException("Controller__ResultKeyId is not set (the id the pipeline knows this host's key by)");
        OutcomeSigner resultSigner;
        try
        {
            resultSigner = new OutcomeSigner(new Dictionary<string, string>(StringComparer.Ordinal) { [resultKeyId] = resultKey }, resultKeyId);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }

        var storage = parsed.Value("storage") ?? settings[StorageNames.Setting] ?? throw new UsageException("--storage (or AlertStorage) is required");
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        var commands = new QueueClient(storage, parsed.Value("queue") ?? StorageNames.ShutdownCommandQueue, options);
        var results = new QueueClient(storage, parsed.Value("results") ?? StorageNames.CommandResultsQueue, options);
        var state = ControllerState.Load(parsed.Value("state") ?? "alertpipe-controller.state", clock.GetUtcNow());
        var controller = new SandboxController(commands, results, signer, resultSigner, state, hook, Seconds(parsed.Value("hook-timeout"), 60), stderr, clock);

        await commands.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var poll = Seconds(parsed.Value("poll"), 5);
        do
        {
            var handled = await controller.RunOnceAsync(cancellationToken).ConfigureAwait(false);
            if (parsed.Has("once"))
            {
                await stdout.WriteLineAsync($"handled {handled} command message(s)").ConfigureAwait(false);
                return 0;
            }

            try
            {
                await Task.Delay(poll, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
        }
        while (!cancellationToken.IsCancellationRequested);

        return 0;
    }

    private static TimeSpan Seconds(string? value, int fallback)
    {
        if (value is null)
        {
            return TimeSpan.FromSeconds(fallback);
        }

        return int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0
            ? TimeSpan.FromSeconds(s)
            : throw new UsageException($"not a positive number of seconds: {value}");
    }
}
