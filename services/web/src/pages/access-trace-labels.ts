/** What each traced read was, by the API operation that served it. */
export const TRACED_OPERATION_LABELS: Record<string, string> = {
  getIncident: "Lecture de l'incident",
  listIncidentLog: "Lecture de la main courante",
  verifyIncidentLog: "Vérification de la main courante",
  listIncidentTasks: "Lecture des tâches",
  listObservables: "Lecture des indicateurs",
  exportObservablesStix: "Export STIX des indicateurs",
  exportNotifications: "Export pour le régulateur",
  printNotifications: "Export pour le régulateur (page imprimable)",
  getBulletinDashboard: "Tableau de bord du bulletin",
  exportCompletionCsv: "Export CSV de la réalisation des exercices",
  exportCompletionXlsx: "Export Excel de la réalisation des exercices",
  lateEstablishments: "Liste des établissements en retard",
  incidentStats: "Statistiques des incidents",
  exportIncidentStatsCsv: "Export CSV des statistiques des incidents",
  listEvidenceFiles: "Liste des pièces jointes",
  downloadEvidenceFile: "Téléchargement d'une pièce jointe",
};

/** An operation traced before it had a label is named generically, not as the API spells it. */
export const tracedOperationLabel = (action: string) =>
  TRACED_OPERATION_LABELS[action] ?? "Autre consultation";
