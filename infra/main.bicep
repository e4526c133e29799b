// AlertPipeline: Event Hubs in, the Function App on Flex Consumption, Storage tables and queues, Key Vault for
// the secrets, Application Insights, least-privilege roles. Deploy into a resource group:
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/prod.bicepparam
// Names the code reads are shared with it and checked by tests/AlertPipeline.Infra.Tests.
targetScope = 'resourceGroup'

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Short environment prefix of resource names, e.g. alertpipe-prod.')
@minLength(3)
@maxLength(20)
param namePrefix string

@description('Tags put on every resource.')
param tags object = {}

// ---- Event Hubs --------------------------------------------------------------------------------------------

@description('Hub with sandbox telemetry (app setting SandboxTelemetryHubName).')
param sandboxTelemetryHubName string = 'sandbox-telemetry'

@description('Hub the firewall diagnostic settings stream to (app setting FirewallLogsHubName).')
param firewallLogsHubName string = 'firewall-logs'

@description('The pipeline\'s own consumer group on both hubs (app setting EventHubConsumerGroup).')
param consumerGroupName string = 'alertpipeline'

@description('Partitions per hub (fixed after creation on Standard): the most instances that read one hub at once.')
@minValue(1)
@maxValue(32)
param partitionCount int = 4

@description('Throughput units of the namespace.')
@minValue(1)
@maxValue(40)
param throughputUnits int = 1

@description('Let Event Hubs raise throughput units under load.')
param autoInflate bool = false

@description('Ceiling of auto-inflate.')
@minValue(0)
@maxValue(40)
param maximumThroughputUnits int = 0

@description('Days the hubs keep events (the replay window after an outage).')
@minValue(1)
@maxValue(7)
param eventRetentionDays int = 1

// ---- Function App ------------------------------------------------------------------------------------------

@description('dotnet-isolated version on Flex Consumption; the code targets net10.0 (see docs/operations.md).')
param dotnetVersion string = '10.0'

@description('Flex Consumption instance memory in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most instances the Function App scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Tuning settings to change; any key left out keeps the code\'s default (see defaultTuning below).')
param tuning object = {}

@description('Open-ended app settings: Sigma__Placeholders__<name>, Response__Levels__<level> and Controller__ResultKeys__<keyId> (a Key Vault reference per host) (name to value).')
param extraAppSettings object = {}

// ---- Channels ----------------------------------------------------------------------------------------------

@description('Send email through SendGrid (the key is the Key Vault secret emailApiKeySecretName).')
param emailEnabled bool = false

@description('Verified SendGrid sender address.')
param emailFrom string = ''

@description('Sender display name.')
param emailFromName string = 'AlertPipeline'

@description('Comma-separated recipients.')
param emailTo string = ''

@description('Optional SendGrid dynamic template id.')
param emailTemplateId string = ''

@description('Base URL of the runbooks linked from emails and cards.')
param runbookBaseUrl string = ''

@description('Post Adaptive Cards to Teams (the webhook URL is the Key Vault secret teamsWebhookSecretName).')
param teamsEnabled bool = false

@description('Sign and queue shutdown commands (the key is the Key Vault secret shutdownSigningKeySecretName; create it first).')
param shutdownEnabled bool = false

@description('Signed Acknowledge / Approve / Dismiss links in cards and emails (the key is the Key Vault secret actionSigningKeySecretName; create it first).')
param actionLinksEnabled bool = false

@description('Public base URL of the Function App the links point to (https://<default host name>); empty renders no links.')
param actionsBaseUrl string = ''

@description('Names of the Key Vault secrets (the values are set outside the template).')
param emailApiKeySecretName string = 'sendgrid-api-key'
param teamsWebhookSecretName string = 'teams-webhook-url'
param shutdownSigningKeySecretName string = 'shutdown-signing-key'
param actionSigningKeySecretName string = 'action-signing-key'

// ---- Optional parts ----------------------------------------------------------------------------------------

@description('Resource id of an existing Azure Firewall whose logs are streamed into the firewall hub; empty for none.')
param firewallResourceId string = ''

@description('VNet integration and private endpoints for Storage, Event Hubs and Key Vault (public access off).')
param privateNetworking bool = false

@description('VNet address space and subnets when privateNetworking is on.')
param vnetAddressPrefix string = '10.60.0.0/24'
param integrationSubnetPrefix string = '10.60.0.0/26'
param privateEndpointSubnetPrefix string = '10.60.0.64/26'

@description('Create the Azure Monitor alert rules on the pipeline\'s health.')
param healthAlerts bool = true

@description('Email of the operators who receive the health alerts; empty for none.')
param healthAlertEmail string = ''

@description('Dead letters per 15 minutes that raise the dead-letter alert.')
@minValue(1)
param deadLetterThreshold int = 100

@description('Days Log Analytics keeps logs.')
@minValue(30)
param logRetentionDays int = 30

// ---- Names the code uses (StorageNames; checked by the infra tests) ----------------------------------------

var tableNames = [
  'rules'
  'rulehistory'
  'correlationstate'
  'alerts'
  'deadletters'
  'sandboxes'
  'indicators'
  'notificationpoison'
  'shutdownledger'
  'ratecounters'
  'responsepolicy'
  'heartbeats'
  'audit'
  'actionnonces'
  'lineage'
  'incidents'
]

var queueNames = [
  'sandbox-commands'
  'notifications'
  'sandbox-command-results'
]

// Blob containers the code uses: dead-letter payloads too large for their Table row.
var containerNames = [
  'deadletters'
]

// Containers the Functions host writes: leases and timer schedules, function keys, Event Hubs checkpoints.
var hostContainerNames = [
  'azure-webjobs-hosts'
  'azure-webjobs-secrets'
  'azure-webjobs-eventhub'
]
var deploymentContainerName = 'app-package'

// The code's defaults (README configuration); the tuning parameter overrides single keys.
var defaultTuning = {
  pipelineAlertBucket: '01:00:00'
  pipelineRuleRefreshInterval: '00:01:00'
  pipelineInventoryRefreshInterval: '00:01:00'
  pipelinePolicyRefreshInterval: '00:01:00'
  pipelineIndicatorRefreshInterval: '00:05:00'
  responderMaxAttempts: 5
  responderMaxConcurrencyRetries: 8
  responderRetryBaseDelay: '00:00:30'
  responderMaxRetryDelay: '01:00:00'
  responderSendLease: '00:05:00'
  responderMaxPerChannelPerWindow: 30
  responderRateWindow: '00:10:00'
  correlationLateness: '00:05:00'
  correlationMaxEntriesPerGroup: 2000
  correlationRetentionGrace: '00:10:00'
  correlationMaxConcurrencyRetries: 8
  heartbeatSilenceAfter: '00:05:00'
  channelTimeout: '00:00:30'
  shutdownKeyId: 'k1'
  shutdownDefaultQueue: 'sandbox-commands'
  shutdownCommandLifetime: '00:10:00'
  shutdownMaxPerHour: 10
  shutdownCapWindow: '01:00:00'
  shutdownEnabled: true
  shutdownAction: 'shutdown'
  actionsKeyId: 'a1'
  actionsAcknowledgeLifetime: '1.00:00:00'
  actionsApproveLifetime: '02:00:00'
  escalationAfter: '00:30:00'
  escalationMaxCount: 3
  escalationScanLimit: 500
  attributionTolerance: '00:00:05'
  incidentsWindow: '00:30:00'
  incidentsMaxTimelineEntries: 200
}

var suffix = uniqueString(resourceGroup().id, namePrefix)
var publicNetworkAccess = privateNetworking ? 'Disabled' : 'Enabled'

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    namePrefix: namePrefix
    retentionDays: logRetentionDays
    tags: tags
  }
}

module eventHubs 'modules/eventhubs.bicep' = {
  name: 'eventhubs'
  params: {
    location: location
    namespaceName: '${namePrefix}-ehns-${suffix}'
    sandboxTelemetryHubName: sandboxTelemetryHubName
    firewallLogsHubName: firewallLogsHubName
    consumerGroupName: consumerGroupName
    partitionCount: partitionCount
    throughputUnits: throughputUnits
    autoInflate: autoInflate
    maximumThroughputUnits: maximumThroughputUnits
    retentionDays: eventRetentionDays
    publicNetworkAccess: publicNetworkAccess
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    accountName: take('st${toLower(replace(namePrefix, '-', ''))}${suffix}', 24)
    tableNames: tableNames
    queueNames: queueNames
    deploymentContainerName: deploymentContainerName
    hostContainerNames: hostContainerNames
    containerNames: containerNames
    publicNetworkAccess: publicNetworkAccess
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    vaultName: take('kv${suffix}${toLower(replace(namePrefix, '-', ''))}', 24)
    publicNetworkAccess: publicNetworkAccess
    tags: tags
  }
}

module network 'modules/network.bicep' = if (privateNetworking) {
  name: 'network'
  params: {
    location: location
    namePrefix: namePrefix
    addressPrefix: vnetAddressPrefix
    integrationSubnetPrefix: integrationSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
    storageAccountId: storage.outputs.accountId
    eventHubsNamespaceId: eventHubs.outputs.namespaceId
    vaultId: keyVault.outputs.vaultId
    tags: tags
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    namePrefix: namePrefix
    appName: '${namePrefix}-func-${suffix}'
    dotnetVersion: dotnetVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    eventHubsFullyQualifiedNamespace: eventHubs.outputs.fullyQualifiedNamespace
    sandboxTelemetryHubName: sandboxTelemetryHubName
    firewallLogsHubName: firewallLogsHubName
    consumerGroupName: consumerGroupName
    appInsightsConnection: monitoring.outputs.appInsightsConnection
    vaultUri: keyVault.outputs.vaultUri
    emailApiKeySecretName: emailApiKeySecretName
    teamsWebhookSecretName: teamsWebhookSecretName
    shutdownSigningKeySecretName: shutdownSigningKeySecretName
    actionSigningKeySecretName: actionSigningKeySecretName
    actionLinksEnabled: actionLinksEnabled
    actionsBaseUrl: actionsBaseUrl
    emailEnabled: emailEnabled
    teamsEnabled: teamsEnabled
    shutdownEnabled: shutdownEnabled
    emailFrom: emailFrom
    emailFromName: emailFromName
    emailTo: emailTo
    emailTemplateId: emailTemplateId
    runbookBaseUrl: runbookBaseUrl
    tuning: union(defaultTuning, tuning)
    extraAppSettings: extraAppSettings
    integrationSubnetId: privateNetworking ? network!.outputs.integrationSubnetId : ''
    tags: tags
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: functionApp.outputs.principalId
    eventHubsNamespaceName: eventHubs.outputs.namespaceName
    hubNames: eventHubs.outputs.hubNames
    storageAccountName: storage.outputs.accountName
    blobContainerNames: concat([deploymentContainerName], hostContainerNames, containerNames)
    vaultName: keyVault.outputs.vaultName
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

// /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/azureFirewalls/<name>
var firewallIdParts = split(firewallResourceId, '/')

module firewallDiagnostics 'modules/firewall-diagnostics.bicep' = if (!empty(firewallResourceId)) {
  name: 'firewall-diagnostics'
  scope: resourceGroup(firewallIdParts[2], firewallIdParts[4])
  params: {
    firewallName: last(firewallIdParts)
    eventHubAuthorizationRuleId: '${eventHubs.outputs.namespaceId}/authorizationRules/RootManageSharedAccessKey'
    firewallLogsHubName: firewallLogsHubName
  }
}

module alerts 'modules/alerts.bicep' = if (healthAlerts) {
  name: 'alerts'
  params: {
    location: location
    namePrefix: namePrefix
    eventHubsNamespaceId: eventHubs.outputs.namespaceId
    appInsightsId: monitoring.outputs.appInsightsId
    notifyEmail: healthAlertEmail
    deadLetterThreshold: deadLetterThreshold
    tags: tags
  }
}

output functionAppName string = functionApp.outputs.appName
output functionAppHostName string = functionApp.outputs.defaultHostName
output storageAccountName string = storage.outputs.accountName
output eventHubsNamespace string = eventHubs.outputs.fullyQualifiedNamespace
output keyVaultName string = keyVault.outputs.vaultName
