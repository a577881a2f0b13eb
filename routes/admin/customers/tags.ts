// Admin: link or unlink a card (form post from the customers page).
export { tagsHandler as handler } from "../customers.tsx";
