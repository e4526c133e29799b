using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Respond.Shutdown;

/// <summary>
/// What a sandbox controller did with a command, as it puts it on the results queue. Fields other than the
/// status come from the command the controller verified, or, for a rejected message, from whatever it claimed.
/// </summary>
public sealed record CommandOutcome
{
    /// <summary>The command, or empty when the message could not be read.</summary>
    public string CommandId { get; init; } = string.Empty;

    /// <summary>The alert the command was for.</summary>
    public string AlertId { get; init; } = string.Empty;

    /// <summary>The sandbox.</summary>
    public string SandboxId { get; init; } = string.Empty;

    /// <summary>The action.</summary>
    public string Action { get; init; } = string.Empty;

    /// <summary><c>done</c> (hook exited 0), <c>failed</c> (hook failed) or <c>rejected</c> (not verified: forged, expired, replayed…).</summary>
    public required string Status { get; init; }

    /// <summary>Why, or the hook's exit code and last output line (cleaned, bounded).</summary>
    public string Detail { get; init; } = string.Empty;

    /// <summary>When the controller finished.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>The results-queue message text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, AlertJson.Options);

    /// <summary>Parses a results-queue message, or null.</summary>
    public static CommandOutcome? TryParse(string? json)
    {
        try
        {
            return string.IsNullOrWhiteSpace(json) ? null : JsonSerializer.Deserialize<CommandOutcome>(json, AlertJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// Records a controller's outcome on the alert's command action (under the alert's ETag). An outcome for an alert we
/// do not hold, or whose command id is not the one we sent, is not recorded: the results queue is writable by every
/// sandbox host, so its content is only trusted as far as it matches what the pipeline itself issued.
/// </summary>
public sealed partial class CommandOutcomeRecorder(IAlertStore store, ResponderOptions? options = null, ILogger<CommandOutcomeRecorder>? logger = null)
{
    private readonly ResponderOptions _options = options ?? new ResponderOptions();
    private readonly ILogger _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>Records <paramref name="outcome"/>; false (and a log line) when it matches no command of ours.</summary>
    public async Task<bool> RecordAsync(CommandOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (string.IsNullOrEmpty(outcome.AlertId) || outcome.CommandId != ShutdownChannel.CommandIdFor(outcome.AlertId))
        {
            LogUnmatched(SafeText.Log(outcome.CommandId), SafeText.Log(outcome.Status), SafeText.Log(outcome.Detail));
            return false;
        }

        for (var attempt = 0; ; attempt++)
        {
            var alert = await store.GetAsync(outcome.AlertId, cancellationToken).ConfigureAwait(false);
            var record = alert?.ActionFor("shutdown");
            if (alert is null || record is null)
            {
                LogUnmatched(SafeText.Log(outcome.CommandId), SafeText.Log(outcome.Status), SafeText.Log(outcome.Detail));
                return false;
            }

            record.Outcome = $"{SafeText.Clean(outcome.Status, 16)}: {SafeText.Clean(outcome.Detail, 300)} ({outcome.At:O})";
            record.UpdatedAt = outcome.At;
            alert.UpdatedAt = outcome.At;
            if (await store.TryUpdateAsync(alert, cancellationToken).ConfigureAwait(false))
            {
                LogRecorded(alert.AlertId, SafeText.Log(alert.SandboxId), record.Outcome);
                return true;
            }

            if (attempt >= _options.MaxConcurrencyRetries)
            {
                throw new InvalidOperationException($"Alert {alert.AlertId} kept changing while recording its command outcome.");
            }
        }
    }

    [LoggerMessage(EventId = 4021, Level = LogLevel.Warning, Message = "Command outcome {CommandId} ({Status}: {Detail}) matches no command the pipeline issued; not recorded")]
    private partial void LogUnmatched(string commandId, string status, string detail);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Information, Message = "Alert {AlertId} sandbox {SandboxId} command outcome: {Outcome}")]
    private partial void LogRecorded(string alertId, string sandboxId, string outcome);
}
