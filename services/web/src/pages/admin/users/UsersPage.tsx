import { Route, Routes } from "react-router";
import { usePageTitle } from "../../../components/Layout.tsx";
import { UserDetail } from "./UserDetail.tsx";
import { UsersList } from "./UsersList.tsx";

/** The directory's people, administered: the list, then one account's role, scope and activity. */
export function UsersPage() {
  usePageTitle("Utilisateurs");
  return (
    <main className="fr-container fr-my-4w">
      <Routes>
        <Route index element={<UsersList />} />
        <Route path=":id" element={<UserDetail />} />
      </Routes>
    </main>
  );
}
