// Log Analytics workspace and the workspace-based Application Insights the Function App reports to.
// Local (instrumentation-key) auth is off: the app authenticates with its managed identity.

@description('Azure region.')
param location string

@description('Prefix of every resource name.')
param namePrefix string

@description('Days the workspace keeps logs.')
@minValue(30)
param retentionDays int

param tags object

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-log'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-appi'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

output workspaceId string = workspace.id
output appInsightsName string = appInsights.name
output appInsightsId string = appInsights.id
// Not a secret: with local auth off, ingestion still needs an Entra ID token.
output appInsightsConnection string = appInsights.properties.ConnectionString
