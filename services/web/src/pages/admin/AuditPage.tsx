import { usePageTitle } from "../../components/Layout.tsx";

/** The administration trail: who changed what in the region's reference data, people and roster. */
export function AuditPage() {
  usePageTitle("Journal d'administration");
  return (
    <main className="fr-container fr-my-6w">
      <h1>Journal d'administration</h1>
      <p>
        Chaque modification des données de référence, des comptes, des clés, des imports et de l'astreinte.
      </p>
    </main>
  );
}
