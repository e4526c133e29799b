using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Shutdown;
using Azure.Storage.Queues;

namespace AlertPipeline.Cli.Controller;

/// <summary>
/// The reference sandbox controller: takes signed commands off a queue, verifies signature, expiry and nonce,
/// runs the configured hook, and reports every outcome (a rejection included) to the results queue. The hook is run
/// without a shell; placeholders are replaced inside single arguments, and only after the command's signature holds
/// and its sandbox id passed a strict character check, so nothing in a message can add an argument or a command.
/// Every outcome is signed with the host's result key (<see cref="OutcomeSigner"/>) and, for a verified command, names
/// its nonce, so the pipeline can tell this host's answer to that command from a forgery.
/// </summary>
internal sealed partial class SandboxController(
    QueueClient commands,
    QueueClient results,
    CommandSigner signer,
    OutcomeSigner resultSigner,
    ControllerState state,
    IReadOnlyList<string> hook,
    TimeSpan hookTimeout,
    TextWriter log,
    TimeProvider time)
{
    /// <summary>Handles every visible message once; returns how many were handled.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        await results.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var handled = 0;
        while (true)
        {
            var messages = (await commands.ReceiveMessagesAsync(16, TimeSpan.FromMinutes(5), cancellationToken).ConfigureAwait(false)).Value;
            if (messages.Length == 0)
            {
                return handled;
            }

            foreach (var message in messages)
            {
                var outcome = await HandleAsync(message.Body.ToString(), cancellationToken).ConfigureAwait(false);
                await results.SendMessageAsync(resultSigner.Sign(outcome).ToJson(), cancellationToken).ConfigureAwait(false);
                await log.WriteLineAsync($"controller: {outcome.Status} command {SafeText.Log(outcome.CommandId)} sandbox {SafeText.Log(outcome.SandboxId)}: {SafeText.Log(outcome.Detail)}").ConfigureAwait(false);

                // Deleted only after the outcome is reported; a crash before it redelivers, and the state file stops a rerun.
                await commands.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                handled++;
            }
        }
    }

    /// <summary>Verifies and executes one message.</summary>
    public async Task<CommandOutcome> HandleAsync(string messageText, CancellationToken cancellationToken)
    {
        var command = signer.Verify(messageText, out var reason);
        if (command is null)
        {
            return Rejected(messageText, reason);
        }

        if (state.HasSeen(command.Nonce, command.CommandId))
        {
            return Outcome(command, "rejected", "replayed: nonce or command already executed");
        }

        if (!SafeId().IsMatch(command.SandboxId))
        {
            return Outcome(command, "rejected", "sandbox id has characters a hook must not receive");
        }

        state.Remember(command.Nonce, command.CommandId, command.ExpiresAt);
        var argv = hook.Select(arg => arg
            .Replace("{sandboxId}", command.SandboxId, StringComparison.Ordinal)
            .Replace("{action}", command.Action, StringComparison.Ordinal)
            .Replace("{commandId}", command.CommandId, StringComparison.Ordinal)
            .Replace("{alertId}", command.AlertId, StringComparison.Ordinal)).ToList();
        return await RunHookAsync(command, argv, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Splits a hook template into arguments: whitespace separates, double quotes group.</summary>
    public static IReadOnlyList<string> SplitTemplate(string template)
    {
        var args = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in template)
        {
            if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (any)
                {
                    args.Add(current.ToString());
                    current.Clear();
                    any = false;
                }
            }
            else
            {
                current.Append(c);
                any = true;
            }
        }

        if (any)
        {
            args.Add(current.ToString());
        }

        return args;
    }

    private async Task<CommandOutcome> RunHookAsync(ShutdownCommand command, List<string> argv, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException("the hook did not start");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(hookTimeout);
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return Outcome(command, "failed", $"hook timed out after {hookTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s");
            }

            var output = LastLine(await stderr.ConfigureAwait(false)) ?? LastLine(await stdout.ConfigureAwait(false)) ?? string.Empty;
            return process.ExitCode == 0
                ? Outcome(command, "done", $"hook exit 0 {output}".TrimEnd())
                : Outcome(command, "failed", $"hook exit {process.ExitCode.ToString(CultureInfo.InvariantCulture)} {output}".TrimEnd());
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return Outcome(command, "failed", $"hook could not run: {SafeText.Log(ex.Message)}");
        }
    }

    private static string? LastLine(string text)
        => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();

    private CommandOutcome Outcome(ShutdownCommand command, string status, string detail) => new()
    {
        CommandId = command.CommandId,
        AlertId = command.AlertId,
        SandboxId = command.SandboxId,
        Action = command.Action,
        Status = status,
        Detail = SafeText.Clean(detail, 300),
        At = time.GetUtcNow(),
        Nonce = command.Nonce,
    };

    // A rejected message is reported with the ids it claims (cleaned), so an operator can find the forgery; without a
    // nonce, because an unverified command's nonce is not one the pipeline issued (the pipeline audits it, nothing more).
    private CommandOutcome Rejected(string messageText, string reason)
    {
        ShutdownCommand? claimed = null;
        try
        {
            claimed = System.Text.Json.JsonSerializer.Deserialize<ShutdownCommand>(messageText, AlertJson.Options);
        }
        catch (System.Text.Json.JsonException)
        {
            claimed = null;
        }

        return new CommandOutcome
        {
            CommandId = SafeText.Clean(claimed?.CommandId, 64),
            AlertId = SafeText.Clean(claimed?.AlertId, 64),
            SandboxId = SafeText.Clean(claimed?.SandboxId, 128),
            Action = SafeText.Clean(claimed?.Action, 32),
            Status = "rejected",
            Detail = reason,
            At = time.GetUtcNow(),
        };
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeId();
}
