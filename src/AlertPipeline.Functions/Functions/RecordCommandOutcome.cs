using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Shutdown;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Functions.Functions;

/// <summary>
/// Records what a sandbox controller did with a command (queue <see cref="StorageNames.CommandResultsQueue"/>) on
/// the alert that issued it, when it is signed with a controller host's result key and answers the command id and nonce
/// the pipeline issued (see <see cref="CommandOutcomeRecorder"/>); anything else is refused, logged and audited.
/// </summary>
public sealed partial class RecordCommandOutcome(CommandOutcomeRecorder recorder, ILogger<RecordCommandOutcome> logger)
{
    /// <summary>Records <paramref name="message"/>.</summary>
    [Function(nameof(RecordCommandOutcome))]
    public async Task RunAsync(
        [QueueTrigger(StorageNames.CommandResultsQueue, Connection = StorageNames.Setting)] string message,
        CancellationToken cancellationToken)
    {
        var outcome = CommandOutcome.TryParse(message);
        if (outcome is null)
        {
            LogMalformed(SafeText.Log(message));
            return;
        }

        await recorder.RecordAsync(outcome, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 5211, Level = LogLevel.Warning, Message = "Command outcome message dropped, not an outcome: {Message}")]
    private partial void LogMalformed(string message);
}
