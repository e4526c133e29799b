// The Function App on the Flex Consumption plan: dotnet-isolated, system-assigned identity, identity-based
// connections only. `appSettings` below is the complete list of app settings; tests/AlertPipeline.Infra.Tests
// compares it with the code's list (AlertPipeline.Adapters.AppSettingNames), so both must change together.

@description('Azure region.')
param location string

@description('Prefix of every resource name.')
param namePrefix string

@description('Function App name (globally unique host name).')
param appName string

@description('Flex Consumption runtime version of dotnet-isolated (the code targets net10.0).')
param dotnetVersion string

@description('Instance memory in MB: 512, 2048 or 4096 (see docs/operations.md).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Upper bound on instances the plan scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Blob container URL the plan deploys the package from.')
param deploymentContainerUrl string

@description('Blob, queue and table endpoints of the storage account (https://<account>.<service>.<suffix>/).')
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string

@description('Event Hubs host name (<namespace>.servicebus.windows.net).')
param eventHubsFullyQualifiedNamespace string
param sandboxTelemetryHubName string
param firewallLogsHubName string
param consumerGroupName string

@description('Application Insights connection string (not a secret: with local auth off, ingestion needs Entra ID).')
param appInsightsConnection string

@description('Key Vault URI and the names of the secrets the app reads through Key Vault references.')
param vaultUri string
param emailApiKeySecretName string
param teamsWebhookSecretName string
param shutdownSigningKeySecretName string
param actionSigningKeySecretName string

@description('Channels switched on; an off channel gets an empty setting, which the code treats as not configured.')
param emailEnabled bool
param teamsEnabled bool
param shutdownEnabled bool
param actionLinksEnabled bool

@description('Public base URL of this app for the signed action links; empty for none.')
param actionsBaseUrl string

@description('Email sender, display name and comma-separated recipients (not secrets).')
param emailFrom string
param emailFromName string
param emailTo string
param emailTemplateId string
param runbookBaseUrl string

@description('Tuning values; keys are the setting names after the section (see README configuration).')
param tuning object

@description('Open-ended settings (Sigma__Placeholders__<name>, Response__Levels__<level>, Controller__ResultKeys__<keyId>, Incidents__Combinations__<n>__<field>) as name/value pairs.')
param extraAppSettings object

@description('Subnet for VNet integration (delegated to Microsoft.App/environments); empty for none.')
param integrationSubnetId string

param tags object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${namePrefix}-plan'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

// A Key Vault reference; the app resolves it with its own identity (Key Vault Secrets User).
var vaultRef = 'SecretUri=${vaultUri}secrets/'

var appSettings = [
  // Functions host storage (leases, keys, Event Hubs checkpoints) with the managed identity.
  { name: 'AzureWebJobsStorage__blobServiceUri', value: blobEndpoint }
  { name: 'AzureWebJobsStorage__queueServiceUri', value: queueEndpoint }
  { name: 'AzureWebJobsStorage__tableServiceUri', value: tableEndpoint }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnection }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD' }
  // Event Hubs triggers.
  { name: 'EventHubConnection__fullyQualifiedNamespace', value: eventHubsFullyQualifiedNamespace }
  { name: 'SandboxTelemetryHubName', value: sandboxTelemetryHubName }
  { name: 'FirewallLogsHubName', value: firewallLogsHubName }
  { name: 'EventHubConsumerGroup', value: consumerGroupName }
  // The pipeline's tables and queues.
  { name: 'AlertStorage__tableServiceUri', value: tableEndpoint }
  { name: 'AlertStorage__queueServiceUri', value: queueEndpoint }
  { name: 'AlertStorage__blobServiceUri', value: blobEndpoint }
  // Tuning.
  { name: 'Pipeline__AlertBucket', value: tuning.pipelineAlertBucket }
  { name: 'Pipeline__RuleRefreshInterval', value: tuning.pipelineRuleRefreshInterval }
  { name: 'Pipeline__InventoryRefreshInterval', value: tuning.pipelineInventoryRefreshInterval }
  { name: 'Pipeline__PolicyRefreshInterval', value: tuning.pipelinePolicyRefreshInterval }
  { name: 'Pipeline__IndicatorRefreshInterval', value: tuning.pipelineIndicatorRefreshInterval }
  { name: 'Responder__MaxAttempts', value: string(tuning.responderMaxAttempts) }
  { name: 'Responder__MaxConcurrencyRetries', value: string(tuning.responderMaxConcurrencyRetries) }
  { name: 'Responder__RetryBaseDelay', value: tuning.responderRetryBaseDelay }
  { name: 'Responder__MaxRetryDelay', value: tuning.responderMaxRetryDelay }
  { name: 'Responder__SendLease', value: tuning.responderSendLease }
  { name: 'Responder__MaxPerChannelPerWindow', value: string(tuning.responderMaxPerChannelPerWindow) }
  { name: 'Responder__RateWindow', value: tuning.responderRateWindow }
  { name: 'Correlation__Lateness', value: tuning.correlationLateness }
  { name: 'Correlation__MaxEntriesPerGroup', value: string(tuning.correlationMaxEntriesPerGroup) }
  { name: 'Correlation__RetentionGrace', value: tuning.correlationRetentionGrace }
  { name: 'Correlation__MaxConcurrencyRetries', value: string(tuning.correlationMaxConcurrencyRetries) }
  { name: 'Heartbeat__SilenceAfter', value: tuning.heartbeatSilenceAfter }
  // Email (SendGrid).
  { name: 'SendGrid__ApiKey', value: emailEnabled ? '@Microsoft.KeyVault(${vaultRef}${emailApiKeySecretName})' : '' }
  { name: 'Notifications__From', value: emailFrom }
  { name: 'Notifications__FromName', value: emailFromName }
  { name: 'Notifications__To', value: emailTo }
  { name: 'Channels__Email__TemplateId', value: emailTemplateId }
  { name: 'Channels__Email__RunbookBaseUrl', value: runbookBaseUrl }
  { name: 'Channels__Email__Timeout', value: tuning.channelTimeout }
  // Teams.
  { name: 'Teams__WebhookUrl', value: teamsEnabled ? '@Microsoft.KeyVault(${vaultRef}${teamsWebhookSecretName})' : '' }
  { name: 'Channels__Teams__RunbookBaseUrl', value: runbookBaseUrl }
  { name: 'Channels__Teams__Timeout', value: tuning.channelTimeout }
  // Shutdown commands.
  { name: 'Shutdown__SigningKey', value: shutdownEnabled ? '@Microsoft.KeyVault(${vaultRef}${shutdownSigningKeySecretName})' : '' }
  { name: 'Shutdown__KeyId', value: tuning.shutdownKeyId }
  { name: 'Shutdown__DefaultQueue', value: tuning.shutdownDefaultQueue }
  { name: 'Shutdown__CommandLifetime', value: tuning.shutdownCommandLifetime }
  { name: 'Shutdown__MaxPerHour', value: string(tuning.shutdownMaxPerHour) }
  { name: 'Shutdown__CapWindow', value: tuning.shutdownCapWindow }
  { name: 'Shutdown__Enabled', value: string(tuning.shutdownEnabled) }
  { name: 'Shutdown__Action', value: tuning.shutdownAction }
  // Action links (their own key: the command key is on every sandbox host) and quiet escalation.
  { name: 'Actions__SigningKey', value: actionLinksEnabled ? '@Microsoft.KeyVault(${vaultRef}${actionSigningKeySecretName})' : '' }
  { name: 'Actions__KeyId', value: tuning.actionsKeyId }
  { name: 'Actions__BaseUrl', value: actionsBaseUrl }
  { name: 'Actions__AcknowledgeLifetime', value: tuning.actionsAcknowledgeLifetime }
  { name: 'Actions__ApproveLifetime', value: tuning.actionsApproveLifetime }
  { name: 'Escalation__After', value: tuning.escalationAfter }
  { name: 'Escalation__MaxCount', value: string(tuning.escalationMaxCount) }
  { name: 'Escalation__ScanLimit', value: string(tuning.escalationScanLimit) }
  // Attribution of firewall and sensor records to the process and tool call behind them.
  { name: 'Attribution__Tolerance', value: tuning.attributionTolerance }
  // Incidents (Incidents__Combinations__<n>__... through extraAppSettings).
  { name: 'Incidents__Window', value: tuning.incidentsWindow }
  { name: 'Incidents__MaxTimelineEntries', value: string(tuning.incidentsMaxTimelineEntries) }
]

var extraSettings = map(items(extraAppSettings), setting => { name: setting.key, value: string(setting.value) })

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: empty(integrationSubnetId) ? null : integrationSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(appSettings, extraSettings)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: dotnetVersion
      }
    }
  }
}

// Deployments authenticate with Entra ID; publishing user names and passwords are switched off.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

output appName string = app.name
output appId string = app.id
output principalId string = app.identity.principalId
output defaultHostName string = app.properties.defaultHostName
