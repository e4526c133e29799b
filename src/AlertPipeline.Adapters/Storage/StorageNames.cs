namespace AlertPipeline.Adapters.Storage;

/// <summary>
/// Names of the Azure Storage tables and queues the pipeline uses, and of its storage setting.
/// Infra (Bicep, deployment scripts) reuses these so code and provisioning cannot drift apart.
/// </summary>
public static class StorageNames
{
    /// <summary>The configuration key: a connection string, or a section with <c>tableServiceUri</c> / <c>queueServiceUri</c>.</summary>
    public const string Setting = "AlertStorage";

    /// <summary>Table of Sigma rules (PartitionKey = pack, RowKey = rule id).</summary>
    public const string RulesTable = "rules";

    /// <summary>
    /// Table of rule changes (PartitionKey = escaped pack and rule id, RowKey = inverted UTC ticks plus a unique suffix,
    /// so a rule's newest change comes first).
    /// </summary>
    public const string RuleHistoryTable = "rulehistory";

    /// <summary>Table of alerts (PartitionKey = first two characters of the alert id, RowKey = alert id).</summary>
    public const string AlertsTable = "alerts";

    /// <summary>Table of rejected events (PartitionKey = UTC day the message was enqueued, <c>yyyyMMdd</c>; RowKey = dead-letter id).</summary>
    public const string DeadLettersTable = "deadletters";

    /// <summary>Blob container of dead-letter payloads too large for their row (blob name = dead-letter id).</summary>
    public const string DeadLettersContainer = "deadletters";

    /// <summary>Table of correlation state (PartitionKey = correlation rule id, RowKey = group key hash).</summary>
    public const string CorrelationStateTable = "correlationstate";

    /// <summary>Table of per-sandbox activity for the heartbeat check (PartitionKey = <c>sandbox</c>, RowKey = hash of the sandbox id).</summary>
    public const string HeartbeatsTable = "heartbeats";

    /// <summary>Table of the sandbox inventory (PartitionKey = <c>sandbox</c>, RowKey = sandbox id).</summary>
    public const string SandboxesTable = "sandboxes";

    /// <summary>Table of threat indicators (PartitionKey = source, RowKey = value with <c>/</c> as <c>_</c>).</summary>
    public const string IndicatorsTable = "indicators";

    /// <summary>Default queue that sandbox host agents read signed shutdown commands from.</summary>
    public const string ShutdownCommandQueue = "sandbox-commands";

    /// <summary>Table of automatic commands shared by all instances: standing order per sandbox, count per cap window.</summary>
    public const string ShutdownLedgerTable = "shutdownledger";

    /// <summary>Table of notification counts per channel and rate-cap window (PartitionKey = channel, RowKey = window start ticks).</summary>
    public const string RateCountersTable = "ratecounters";

    /// <summary>Queue that sandbox controllers report command outcomes to, read by <c>RecordCommandOutcome</c>.</summary>
    public const string CommandResultsQueue = "sandbox-command-results";

    /// <summary>Queue of notifications waiting to be sent (one message per alert and channel), read by <c>DispatchNotification</c>.</summary>
    public const string NotificationQueue = "notifications";

    /// <summary>Table of notifications given up on (PartitionKey = alert id, RowKey = channel).</summary>
    public const string NotificationPoisonTable = "notificationpoison";

    /// <summary>Table of the response policy (PartitionKey = <c>policy</c>, RowKey = entry id).</summary>
    public const string ResponsePolicyTable = "responsepolicy";

    /// <summary>
    /// Table of the audit trail: every notification, command, approval and controller outcome, four rows per entry
    /// (by entry id, by alert, by sandbox and UTC day, by UTC hour); see <c>TableAuditLog</c>.
    /// </summary>
    public const string AuditTable = "audit";

    /// <summary>
    /// Table of incidents: the incident (PartitionKey = incident id, RowKey = <c>incident</c>) and a per-sandbox index
    /// (PartitionKey = <c>sandbox-</c> + hash of the sandbox id, RowKey = inverted sequence); see <c>TableIncidentStore</c>.
    /// </summary>
    public const string IncidentsTable = "incidents";

    /// <summary>Table of used action-link nonces, so a link works once (PartitionKey = alert id, RowKey = nonce).</summary>
    public const string ActionNoncesTable = "actionnonces";

    /// <summary>
    /// Table of the sandboxes' own lineage for attribution: tool calls, process starts, connections (PartitionKey = escaped
    /// sandbox id, RowKey = kind-prefixed keys of <c>LineageKeys</c>); rows older than a day are purged by the correlation sweep.
    /// </summary>
    public const string LineageTable = "lineage";
}
